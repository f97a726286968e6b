"""Writing the formula-live workbook: templates → layouts → cells, names, styles and charts → a safe file."""
