"""Identity: linking agencies' person records to one person."""
