"""What happened and who is here: history and revert, comments, live project events, presence."""
