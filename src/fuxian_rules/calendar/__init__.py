"""The legal calendar: statutory period arithmetic on official working days, and deployment calendar files."""
