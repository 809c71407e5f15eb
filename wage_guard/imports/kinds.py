"""The five kinds of import file and their columns (FORMATS.md, "The five kinds").

This is the one place that says which columns a kind has, their Chinese aliases, whether
they are required and what type of value they hold. Readers and validators work from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnType(StrEnum):
    """What a cell holds, which decides how it is parsed and checked."""

    TEXT = "text"
    ID_NUMBER = "id_number"  # resident ID, text only (GB 11643-1999)
    CREDIT_CODE = "credit_code"  # unified social credit code (GB 32100-2015)
    BANK_CARD = "bank_card"  # 12-19 digits, text only
    ACCOUNT_NO = "account_no"  # a wage account number, text only
    MONEY = "money"  # decimal yuan, at most 2 decimals, >= 0 unless allow_negative
    DATE = "date"
    MONTH = "month"  # a wage month, stored as YYYY-MM
    INTEGER = "integer"
    DECIMAL = "decimal"  # a plain number (days worked may be halves)
    ENUM = "enum"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Column:
    """One column of a kind: its English name, Chinese aliases, type and constraints."""

    name: str
    aliases: tuple[str, ...] = ()
    type: ColumnType = ColumnType.TEXT
    required: bool = False
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    # ENUM: accepted spellings (lower-cased) -> stored value.
    choices: dict[str, str] = field(default_factory=dict)
    default: str | None = None

    @property
    def text_only(self) -> bool:
        """Values that lose digits when a spreadsheet stores them as numbers."""
        return self.type in (ColumnType.ID_NUMBER, ColumnType.BANK_CARD, ColumnType.ACCOUNT_NO)


@dataclass(frozen=True)
class Kind:
    """A kind of import file: its name, Chinese title, columns and natural key."""

    name: str
    title_zh: str
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def header_lookup(self) -> dict[str, str]:
        """Every accepted header spelling (lower-cased, stripped) -> the column's name."""
        lookup: dict[str, str] = {}
        for column in self.columns:
            for spelling in (column.name, *column.aliases):
                lookup[spelling.strip().lower()] = column.name
        return lookup


PROJECT_STATUS = {
    "in_progress": "in_progress", "在建": "in_progress", "003": "in_progress",
    "suspended": "suspended", "停工": "suspended", "005": "suspended",
    "completed": "completed", "完工": "completed", "竣工": "completed", "004": "completed",
    "preparing": "preparing", "筹备": "preparing", "立项": "preparing",
    "001": "preparing", "002": "preparing",
}  # fmt: skip
GUARANTEE_FORM = {
    "cash": "cash", "现金": "cash",
    "bank_guarantee": "bank_guarantee", "银行保函": "bank_guarantee", "保函": "bank_guarantee",
    "insurance": "insurance", "保证保险": "insurance",
}  # fmt: skip
PAID_VIA = {
    "account": "account", "专户代发": "account", "银行代发": "account", "专户": "account",
    "cash": "cash", "现金": "cash",
    "other": "other", "其他": "other",
}  # fmt: skip
TRANSACTION_KIND = {
    "labor_cost": "labor_cost", "人工费拨付": "labor_cost", "人工费用拨付": "labor_cost",
    "wage_payout": "wage_payout", "工资代发": "wage_payout", "代发工资": "wage_payout",
    "other_in": "other_in", "其他转入": "other_in",
    "other_out": "other_out", "其他转出": "other_out",
}  # fmt: skip

T = ColumnType

PROJECTS = Kind(
    name="projects",
    title_zh="项目信息",
    natural_key=("project_code",),
    columns=(
        Column("project_code", ("项目编号", "项目编码"), T.TEXT, True, 64),
        Column("project_name", ("项目名称",), T.TEXT, True, 300),
        Column("district", ("所属区域", "区县", "行政区"), T.TEXT, True, 64),
        Column("owner_name", ("建设单位",), T.TEXT, True, 200),
        Column("owner_credit_code", ("建设单位统一社会信用代码",), T.CREDIT_CODE),
        Column("contractor_name", ("施工总承包单位", "总承包单位"), T.TEXT, True, 200),
        Column(
            "contractor_credit_code",
            ("总承包单位统一社会信用代码", "施工总承包单位统一社会信用代码"),
            T.CREDIT_CODE,
            True,
        ),
        Column("contract_signed_on", ("合同签订日期",), T.DATE),
        Column("contract_amount", ("合同金额", "合同价款"), T.MONEY),
        Column("start_date", ("开工日期",), T.DATE, True),
        Column("planned_end_date", ("计划竣工日期",), T.DATE),
        Column("status", ("项目状态",), T.ENUM, True, choices=PROJECT_STATUS),
        Column("pay_day", ("工资发放日",), T.INTEGER, minimum=1, maximum=31, default="15"),
        Column("wage_account_no", ("专户账号", "农民工工资专用账户"), T.ACCOUNT_NO, max_length=40),
        Column("wage_account_bank", ("专户开户银行", "开户银行"), T.TEXT, max_length=100),
        Column("wage_account_opened_on", ("专户开立日期", "开户日期"), T.DATE),
        Column("guarantee_form", ("保证金形式",), T.ENUM, choices=GUARANTEE_FORM),
        Column("guarantee_amount", ("保证金金额",), T.MONEY),
        Column("guarantee_valid_until", ("保证金有效期至", "保函有效期"), T.DATE),
        Column("rights_board", ("维权信息告示牌", "维权告示牌"), T.BOOLEAN),
        Column("labor_officer", ("劳资专管员",), T.TEXT, max_length=64),
    ),
)

ROSTER = Kind(
    name="roster",
    title_zh="实名制考勤",
    natural_key=("project_code", "month", "id_number"),
    columns=(
        Column("project_code", ("项目编号",), T.TEXT, True, 64),
        Column("month", ("考勤月份", "月份"), T.MONTH, True),
        Column("id_number", ("身份证号", "身份证号码", "证件号码"), T.ID_NUMBER, True),
        Column("worker_name", ("姓名",), T.TEXT, True, 64),
        Column("employer", ("所属单位", "分包单位", "用工单位"), T.TEXT, max_length=200),
        Column("team", ("班组",), T.TEXT, max_length=100),
        Column("trade", ("工种",), T.TEXT, max_length=50),
        Column("days_present", ("出勤天数",), T.INTEGER, True, minimum=0, maximum=31),
        Column("entered_on", ("进场日期",), T.DATE),
        Column("left_on", ("退场日期",), T.DATE),
    ),
)

PAYROLL = Kind(
    name="payroll",
    title_zh="工资支付表",
    natural_key=("project_code", "month", "id_number"),
    columns=(
        Column("project_code", ("项目编号",), T.TEXT, True, 64),
        Column("month", ("工资月份", "所属月份", "月份"), T.MONTH, True),
        Column("id_number", ("身份证号", "身份证号码", "证件号码"), T.ID_NUMBER, True),
        Column("worker_name", ("姓名",), T.TEXT, True, 64),
        Column("employer", ("所属单位", "分包单位"), T.TEXT, max_length=200),
        Column("days_worked", ("出勤天数", "工作天数"), T.DECIMAL, minimum=0, maximum=31),
        Column("wage_payable", ("应发工资", "应发金额"), T.MONEY, True),
        Column("wage_paid", ("实发工资", "实发金额"), T.MONEY, True),
        Column("paid_on", ("发放日期", "支付日期"), T.DATE),  # required when wage_paid > 0
        Column("bank_card", ("工资卡号", "银行卡号"), T.BANK_CARD),
        Column("paid_via", ("发放方式",), T.ENUM, choices=PAID_VIA, default="account"),
    ),
)

ESCROW = Kind(
    name="escrow",
    title_zh="专户流水",
    natural_key=("wage_account_no", "txn_id"),  # or (project_code, txn_id)
    columns=(
        Column("project_code", ("项目编号",), T.TEXT, max_length=64),  # one of these two
        Column("wage_account_no", ("专户账号", "账号"), T.ACCOUNT_NO, max_length=40),
        Column("txn_id", ("交易流水号", "流水号"), T.TEXT, True, 64),
        Column("txn_date", ("交易日期",), T.DATE, True),
        Column("kind", ("交易类型", "摘要"), T.ENUM, True, choices=TRANSACTION_KIND),
        Column("amount", ("金额", "交易金额"), T.MONEY, True),  # > 0
        Column("counterparty", ("对方户名",), T.TEXT, max_length=200),
        Column("counterparty_account", ("对方账号",), T.ACCOUNT_NO, max_length=40),
        Column("id_number", ("身份证号",), T.ID_NUMBER),
        Column("balance", ("余额", "账户余额"), T.MONEY),
    ),
)

MINIMUM_WAGES = Kind(
    name="minimum-wages",
    title_zh="最低工资标准",
    natural_key=("region", "effective_from"),
    columns=(
        Column("region", ("地区",), T.TEXT, True, 64),
        Column("effective_from", ("执行日期",), T.DATE, True),
        Column("monthly", ("月最低工资",), T.MONEY, True),
        Column("hourly_part_time", ("小时最低工资",), T.MONEY),
    ),
)

KINDS: dict[str, Kind] = {k.name: k for k in (PROJECTS, ROSTER, PAYROLL, ESCROW, MINIMUM_WAGES)}
