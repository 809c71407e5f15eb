"""The wage account's bank statement (专户流水): labor-cost deposits and wage payouts."""
