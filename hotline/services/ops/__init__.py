"""Operations: sending the outbox, recovering what fell through, reconciliation with Twilio,
reminders, failed jobs, roster imports and the demo roster."""
