"""Date and number formats for our locales where Django ships none (Lao) or only some (Telugu
and Bengali have no DATETIME_FORMAT, so their times fell back to the English "N j, Y, P").
Django looks here first (settings.FORMAT_MODULE_PATH) and then in its own module, so a file
names only what it adds or changes. Values follow CLDR.

Django writes month names from its own catalogues, and it has none for Lao. Naming them here
puts them in ours, where the Lao translation gives them their Lao names.
"""

from django.utils.translation import gettext_noop

MONTH_NAMES = (
    gettext_noop("January"), gettext_noop("February"), gettext_noop("March"),
    gettext_noop("April"), gettext_noop("May"), gettext_noop("June"), gettext_noop("July"),
    gettext_noop("August"), gettext_noop("September"), gettext_noop("October"),
    gettext_noop("November"), gettext_noop("December"),
)
