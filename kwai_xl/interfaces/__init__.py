"""What users call: the CLI, its tables, the UDFs' argument handling and the xlwings Lite bundle."""
