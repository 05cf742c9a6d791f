"""Everything the hotline says to chairs, in one place: `sms` for texts, `voice` for the phone line.

Services never write a sentence a chair will read or hear; they pick one from here. Each is English
source text in the message catalog (`hotline.domain.languages`), given in the current language.
"""
