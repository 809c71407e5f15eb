"""The words a synthetic region is made of: districts, banks, trades, firms, people's names.

Districts are Tianjin's, with their administrative division codes; everything else is
invented from common parts, so that names look real without naming a real firm or person.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class District:
    """A district (区) of the region: its name, division code, share of projects, places."""

    name: str
    code: str
    weight: float
    places: tuple[str, ...]


DISTRICTS: dict[str, District] = {
    d.name: d
    for d in (
        District("和平区", "120101", 4, ("五大道", "小白楼", "南市", "劝业场", "南营门", "新兴街")),
        District("河东区", "120102", 5, ("大直沽", "二号桥", "东站", "中山门", "唐家口", "春华街")),
        District("河西区", "120103", 7, ("陈塘", "梅江", "友谊路", "尖山", "小海地", "天塔")),
        District("南开区", "120104", 7, ("西营门", "长虹", "华苑", "王顶堤", "水上公园", "鼓楼")),
        District("河北区", "120105", 4, ("宁园", "铁东路", "王串场", "建昌道", "望海楼", "月牙河")),
        District("红桥区", "120106", 3, ("西沽", "丁字沽", "三条石", "邵公庄", "和苑", "芥园")),
        District("东丽区", "120110", 7, ("军粮城", "华明", "张贵庄", "金钟", "空港", "无瑕")),
        District("西青区", "120111", 8, ("中北镇", "杨柳青", "大寺", "张家窝", "精武", "李七庄")),
        District("津南区", "120112", 7, ("咸水沽", "双港", "海河教育园", "八里台", "小站", "葛沽")),
        District("北辰区", "120113", 7, ("北仓", "天穆", "双街", "宜兴埠", "青光", "大张庄")),
        District(
            "武清区", "120114", 8, ("杨村", "下朱庄", "京津科技谷", "王庆坨", "黄庄", "崔黄口")
        ),
        District("宝坻区", "120115", 4, ("宝平", "大口屯", "周良", "海滨", "口东", "钰华")),
        District(
            "滨海新区",
            "120116",
            18,
            ("于家堡", "响螺湾", "中新生态城", "临港", "塘沽", "大港", "汉沽", "空港经济区"),
        ),
        District("宁河区", "120117", 3, ("芦台", "潘庄", "东棘坨", "造甲城")),
        District("静海区", "120118", 5, ("团泊", "大邱庄", "子牙", "唐官屯")),
        District("蓟州区", "120119", 3, ("渔阳", "下营", "邦均", "别山")),
    )
}


@dataclass(frozen=True)
class Bank:
    """A bank: its name, a short code, its wage-account number shape, its card BINs."""

    name: str
    code: str
    account_prefix: str
    account_digits: int  # total length of a wage account number
    card_bins: tuple[str, ...]  # six-digit issuer prefixes of its debit cards
    card_digits: int  # total length of its debit card numbers
    holds_accounts: bool = True  # whether projects open wage accounts with it


BANKS: tuple[Bank, ...] = (
    Bank("中国工商银行天津分行", "icbc", "0302", 19, ("622202", "621226"), 19),
    Bank("中国建设银行天津市分行", "ccb", "1205", 20, ("621700", "622700"), 19),
    Bank("中国农业银行天津分行", "abc", "0207", 15, ("622848", "623052"), 19),
    Bank("中国银行天津市分行", "boc", "27", 12, ("621661",), 19),
    Bank("交通银行天津市分行", "bocom", "1200", 21, ("622262",), 19),
    Bank("天津银行", "bot", "1020", 16, (), 19),
    Bank("渤海银行", "cbhb", "2000", 16, (), 19),
    Bank("中国邮政储蓄银行", "psbc", "", 0, ("622188", "621098"), 19, holds_accounts=False),
    Bank("招商银行", "cmb", "", 0, ("621483", "622588"), 16, holds_accounts=False),
)
ACCOUNT_BANKS = tuple(b for b in BANKS if b.holds_accounts)
CARD_BANKS = tuple(b for b in BANKS if b.card_bins)


@dataclass(frozen=True)
class Trade:
    """A trade (工种) on site, its team name and its daily wage range in yuan."""

    name: str
    team: str
    weight: float
    daily_low: int
    daily_high: int


TRADES: tuple[Trade, ...] = (
    Trade("普工", "杂工班", 25, 180, 260),
    Trade("钢筋工", "钢筋班", 15, 330, 450),
    Trade("木工", "木工班", 15, 340, 460),
    Trade("混凝土工", "混凝土班", 8, 280, 380),
    Trade("架子工", "架子班", 7, 330, 430),
    Trade("瓦工", "瓦工班", 7, 300, 400),
    Trade("电工", "水电班", 5, 300, 400),
    Trade("焊工", "焊工班", 4, 360, 480),
    Trade("抹灰工", "抹灰班", 4, 280, 380),
    Trade("水暖工", "水电班", 3, 290, 380),
    Trade("油漆工", "油漆班", 3, 260, 350),
    Trade("防水工", "防水班", 2, 260, 340),
    Trade("塔吊司机", "机械班", 1, 400, 500),
    Trade("信号工", "机械班", 1, 240, 300),
)


@dataclass(frozen=True)
class ProjectKind:
    """A kind of project: name patterns and its contract amount range in yuan."""

    patterns: tuple[str, ...]  # {place}, {word}, {n} are filled in
    weight: float
    amount_low: float
    amount_high: float


PROJECT_KINDS: tuple[ProjectKind, ...] = (
    ProjectKind(
        (
            "{place}{word}花园{n}期住宅项目",
            "{place}{n}号地块商品住宅项目",
            "{place}{word}苑住宅小区工程",
        ),
        24,
        5e7,
        6e8,
    ),
    ProjectKind(("{place}还迁安置房项目{n}标段", "{place}保障性住房项目{n}标段"), 10, 8e7, 5e8),
    ProjectKind(
        ("{place}配套小学新建工程", "{place}第{n}中学扩建工程", "{place}配套幼儿园新建工程"),
        10,
        2e7,
        1.5e8,
    ),
    ProjectKind(("{place}医院门诊楼改扩建工程", "{place}社区卫生服务中心新建工程"), 5, 3e7, 4e8),
    ProjectKind(
        ("{place}{word}智能制造产业园厂房工程", "{place}{word}物流园仓储中心工程"), 10, 3e7, 2.5e8
    ),
    ProjectKind(("{place}{word}商业综合体项目", "{place}{word}大厦办公楼工程"), 7, 1e8, 8e8),
    ProjectKind(
        ("{place}{word}路道路提升改造工程", "{place}{word}道排水管网改造工程"), 14, 4e6, 6e7
    ),
    ProjectKind(
        ("{place}老旧小区改造工程{n}标段", "{place}雨污分流改造工程{n}标段"), 20, 1.2e6, 2.5e7
    ),
)

# Brand words of firms and estates (two characters each).
WORDS: tuple[str, ...] = (
    "海泰", "津港", "锦程", "瑞海", "泰和", "宏达", "安泰", "华兴", "鼎盛", "恒信",
    "广厦", "天成", "润华", "汇通", "北洋", "渤洋", "津城", "九河", "卫津", "宁泰",
    "盛世", "嘉禾", "永安", "德润", "众诚", "建宁", "明德", "鑫隆", "利民", "昌盛",
    "同创", "兴邦", "远洋", "和畅", "瑞景", "海棠", "金岸", "景明", "辰阳", "凯达",
    "博远", "正阳", "东方", "百川", "祥和", "裕丰", "泰丰", "冠华", "中恒", "新港",
    "振华", "宏图", "铭城", "国信", "联丰", "信达", "盛华", "海晟", "天元", "富力",
)  # fmt: skip

OWNER_FORMS: tuple[tuple[str, str], ...] = (
    # (name pattern, credit code prefix: 91 enterprise, 12 public institution)
    ("天津{word}{word2}置业有限公司", "91"),
    ("天津{word}{word2}房地产开发有限公司", "91"),
    ("天津市{district}{word}城市建设投资有限公司", "91"),
    ("天津{word}{word2}产业园投资发展有限公司", "91"),
    ("天津市{district}{word}教育投资中心", "12"),
    ("天津市{district}{word}基础设施建设服务中心", "12"),
)
CONTRACTOR_FORMS: tuple[str, ...] = (
    "天津{word}{word2}建设集团有限公司",
    "天津市{word}{word2}建筑工程有限公司",
    "{word}{word2}建工集团有限公司",
    "天津{word}{word2}市政工程有限公司",
)
SUBCONTRACTOR_FORMS: tuple[str, ...] = (
    "天津{word}{word2}劳务有限公司",
    "天津市{word}{word2}建筑劳务分包有限公司",
    "河北{word}{word2}建筑劳务有限公司",
    "{word}{word2}劳务服务有限公司",
)

# Surnames with rough relative frequencies, most common first.
SURNAMES: tuple[str, ...] = tuple(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN_MALE: tuple[str, ...] = tuple(
    "伟强军磊勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帅旭宁龙林东亮建国庆峰海成志文春生永"
    "德福贵全胜兵新利中学保振卫民长金山江晓立广树彬锋"
)
GIVEN_FEMALE: tuple[str, ...] = tuple("芳娜敏静丽艳娟霞燕玲桂英红梅莉兰凤洁琴云萍秀玉慧婷雪")

# Six-digit division codes of the counties construction workers in Tianjin often come
# from (as printed at the head of their ID numbers), with relative weights.
BIRTH_REGIONS: tuple[tuple[str, float], ...] = (
    ("120101", 1), ("120104", 1), ("120110", 2), ("120111", 2), ("120112", 2),
    ("120113", 2), ("120114", 3), ("120115", 2), ("120221", 2), ("120223", 3), ("120225", 3),
    ("130223", 2), ("130224", 2), ("130225", 1), ("130227", 1), ("130229", 2), ("130281", 1),
    ("131022", 1), ("131023", 1), ("131024", 1), ("131025", 2), ("131026", 2), ("131081", 1),
    ("130921", 2), ("130922", 2), ("130923", 1), ("130925", 2), ("130926", 1), ("130927", 1),
    ("130929", 2), ("130981", 2), ("130982", 1), ("130983", 2), ("130984", 2),
    ("411421", 2), ("411422", 2), ("411423", 1), ("411425", 2), ("411426", 2),
    ("411621", 1), ("411622", 2), ("411623", 2), ("411624", 1), ("411625", 1), ("411627", 2),
    ("411628", 1), ("411521", 1), ("411522", 1), ("411524", 1), ("411525", 2), ("411526", 1),
    ("371422", 1), ("371423", 1), ("371424", 1), ("371425", 1), ("371426", 1), ("371427", 1),
    ("371621", 1), ("371622", 1), ("371623", 1),
    ("341221", 2), ("341222", 2), ("341225", 1), ("341226", 2), ("341321", 1), ("341322", 1),
    ("341323", 1), ("341324", 1),
    ("511321", 1), ("511322", 1), ("511323", 1), ("511324", 1), ("510722", 1),
    ("620421", 1), ("620422", 1), ("621121", 1), ("230221", 1),
)  # fmt: skip
