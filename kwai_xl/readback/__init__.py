"""Reading workbooks back: values by public name, LibreOffice recalculation, verify, pull and the formula lint;
what a rebuild would lose of an existing workbook, and replacing it safely with the analyst's sheets carried."""
