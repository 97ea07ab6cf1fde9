"""The tags every archive has from its first migration, named as Archive of Our Own names them,
so that imported AO3 files map onto them one to one."""

RATINGS = [
    "Not Rated",
    "General Audiences",
    "Teen And Up Audiences",
    "Mature",
    "Explicit",
]
NOT_RATED = RATINGS[0]

ARCHIVE_WARNINGS = [
    "Creator Chose Not To Use Archive Warnings",
    "No Archive Warnings Apply",
    "Graphic Depictions Of Violence",
    "Major Character Death",
    "Rape/Non-Con",
    "Underage Sex",
]
MAJOR_CHARACTER_DEATH = "Major Character Death"

CATEGORIES = ["F/F", "F/M", "Gen", "M/M", "Multi", "Other"]

# Free-text warnings writers use for an archive warning. When an import meets one of
# these as a new tag, the tag is made a synonym of the archive warning, so filters by
# the archive warning find it. Keys are lowercase with single spaces.
WARNING_SYNONYMS = {
    "canonical character death": "Major Character Death",
    "canon character death": "Major Character Death",
    "character death": "Major Character Death",
    "major character death": "Major Character Death",
    "mcd": "Major Character Death",
    "graphic violence": "Graphic Depictions Of Violence",
    "graphic depictions of violence": "Graphic Depictions Of Violence",
    "rape": "Rape/Non-Con",
    "non-con": "Rape/Non-Con",
    "noncon": "Rape/Non-Con",
    "non-consensual": "Rape/Non-Con",
    "rape/non-con": "Rape/Non-Con",
    "underage": "Underage Sex",
    "underage sex": "Underage Sex",
}
