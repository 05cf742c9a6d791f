"""Reporting by phone: answering Twilio's webhooks (`webhook`), the keypad steps (`steps`), the
call's state (`call_state`), recording a keypad report (`report`), and the staffed desk: queues and
honest waits (`desk`), call-backs and voicemail (`followup`), the staff line (`staff`)."""
