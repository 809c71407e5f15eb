"""The minimum-wage table (最低工资标准) by region and effective date."""
