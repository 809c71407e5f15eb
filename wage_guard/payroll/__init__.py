"""Monthly payroll sheets (工资支付表) and what was paid."""
