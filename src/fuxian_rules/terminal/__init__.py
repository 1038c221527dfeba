"""Output for people at a terminal (tables fitted to the window, Chinese headers); see :mod:`.views`."""

from .tables import Column, console_for, print_table, print_text
from .views import print_check, print_coverage, print_explain, print_rules

__all__ = ["Column", "console_for", "print_check", "print_coverage", "print_explain", "print_rules", "print_table",
           "print_text"]
