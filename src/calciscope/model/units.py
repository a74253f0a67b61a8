"""Units shared by every layer that turns dates into years."""

__all__ = ["DAYS_PER_YEAR"]

#: The Julian year: durations in days are divided by it to give years (ages, disease duration).
DAYS_PER_YEAR = 365.25
