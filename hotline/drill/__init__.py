"""The caucus-night drill: the system in its production shape on this machine, played and measured."""
