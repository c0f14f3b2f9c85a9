# Bengali (CLDR "bn"): Django has dates and times but no DATETIME_FORMAT.
DATE_FORMAT = "j F, Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "j F, Y g:i A"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j/n/Y"  # 5/3/2026
SHORT_DATETIME_FORMAT = "j/n/Y g:i A"
FIRST_DAY_OF_WEEK = 6  # Saturday, as Django's own bn formats say
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = (3, 2, 0)  # Indian grouping: 12,34,567.89
