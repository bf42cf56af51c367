"""flask-wsqb: QuickBooks Online contact import, export, match and sync for Flask apps."""
