"""wage_guard: early warning of wage arrears on construction projects (农民工工资支付监控预警)."""

__version__ = "0.1.0"
