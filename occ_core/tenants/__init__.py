"""Orders (tenants), contracts with the platform, and the modules each Order has enabled."""
