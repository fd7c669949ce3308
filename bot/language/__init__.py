"""Reading what a practitioner typed: the lexicon of their words, and one reading of each
message (``bot.language.reading``) that every workflow of the conversation uses."""
