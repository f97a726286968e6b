"""Reading workbooks back: values by public name, LibreOffice recalculation, verify, pull and the formula lint."""
