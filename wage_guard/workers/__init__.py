"""Workers identified by their resident ID number (居民身份证号码)."""
