"""Everything the hotline says to chairs, in one place: `sms` for texts, `voice` for the phone line.

Services never write a sentence a chair will read or hear; they pick one from here, so a second
language is one more module beside these, not a hunt through the code.
"""
