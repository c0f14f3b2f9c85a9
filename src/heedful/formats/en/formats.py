# English: Django's formats, except a compact month and day for the queue's "updated" column.
MONTH_DAY_FORMAT = "M j"  # Mar 5
