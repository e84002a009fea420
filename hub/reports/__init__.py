"""History and reports (the *Laporan* menu): what the puskesmas counts over a service day, a range of days
or a month, as tables and charts that the web shows and that export to XLSX, PDF and CSV.

Pure queries on the database, bounded by the range (every query filters on an indexed service-day
column), and a report model that the page and the three exports all read: one place decides what a
report says.
"""
