"""Loading real exports (CSV, Excel, Parquet) into the shared database under the data contract."""
