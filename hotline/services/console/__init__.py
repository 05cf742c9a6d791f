"""What staff and administrators do in the console: the backlog and claims, entering results for a
chair with a second person's approval, reaching a chair, worksheets, the board and accounts."""
