# Telugu (CLDR "te"): Django has dates and times but no DATETIME_FORMAT and no number formats.
DATE_FORMAT = "j F Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "j F Y, g:i A"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d-m-Y"  # 05-03-2026
SHORT_DATETIME_FORMAT = "d-m-Y g:i A"
FIRST_DAY_OF_WEEK = 0  # Sunday
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = (3, 2, 0)  # Indian grouping: 12,34,567.89
