"""(register) The register workbook's vocabulary: sheet names, header texts and setting keys.

Shared by `write.py` (which lays the sheets out) and `load.py` (which finds columns by these
header texts).

Sheets (columns are found by their header text, so the clerk may reorder or add columns):

    任务   序号 | 章 | 节 | 任务内容 | 牵头单位 | 协办单位 | 相关乡镇(街道)
    单位   单位名称 | 别名 | 分组 | 联系人 | 联系电话 | 代码
    轮次   轮次 | 名称 | 协办单位截止 | 牵头单位截止
    计划   任务序号 | 轮次 | 阶段目标 | 量化指标 | 完成时限 | (任务内容, for reference only)
    设置   项目 | 内容 | (用途, for reference only)
    说明   how to edit each sheet, in Chinese (never read)

`任务`, `单位` and `轮次` are required; a register without `计划` has no plan milestones and one
without `设置` has no settings. Lists of names in one cell are separated by `、` (also `,`, `;`,
full-width forms and line breaks).
"""

from __future__ import annotations

from collections.abc import Mapping

from excelflow.notice.units import RELEVANT_PREFIX, TOWNSHIP_GROUP

# -- the workbook's vocabulary ------------------------------------------------------------------
TASKS_SHEET = "任务"
UNITS_SHEET = "单位"
ROUNDS_SHEET = "轮次"
PLAN_SHEET = "计划"
SETTINGS_SHEET = "设置"
HELP_SHEET = "说明"
SHEETS = (TASKS_SHEET, UNITS_SHEET, ROUNDS_SHEET, PLAN_SHEET, SETTINGS_SHEET, HELP_SHEET)

TASK_ID, CHAPTER, SECTION, TEXT, LEAD, CO = "序号", "章", "节", "任务内容", "牵头单位", "协办单位"
TASK_DUE = "完成时限"  # the notice's completion date for the task, as written (optional column)
RELEVANT = f"{RELEVANT_PREFIX}单位"  # 相关单位: the clerk's choice per task for its `相关…` groups
# The column's name before groups were general; a register that still has it is read the same.
LEGACY_RELEVANT = f"{RELEVANT_PREFIX}{TOWNSHIP_GROUP}"
TASK_COLUMNS = (TASK_ID, CHAPTER, SECTION, TEXT, LEAD, CO, TASK_DUE, RELEVANT)
TASK_REQUIRED = (TASK_ID, CHAPTER, SECTION, TEXT, LEAD, CO)  # a register without the others is read

UNIT_NAME, ALIASES, GROUPS, CONTACT, PHONE, CODE = "单位名称", "别名", "分组", "联系人", "联系电话", "代码"
UNIT_COLUMNS = (UNIT_NAME, ALIASES, GROUPS, CONTACT, PHONE, CODE)
UNIT_EMAILS = "邮箱"  # optional column (registers written before the mail channel lack it)

ROUND_ID, ROUND_NAME, CO_DEADLINE, LEAD_DEADLINE = "轮次", "名称", "协办单位截止", "牵头单位截止"
ROUND_COLUMNS = (ROUND_ID, ROUND_NAME, CO_DEADLINE, LEAD_DEADLINE)

PLAN_TASK, PLAN_ROUND, GOAL, INDICATOR, DUE = "任务序号", "轮次", "阶段目标", "量化指标", "完成时限"
PLAN_COLUMNS = (PLAN_TASK, PLAN_ROUND, GOAL, INDICATOR, DUE)
PLAN_REFERENCE = "任务内容(参考,不读取)"

SETTING_KEY, SETTING_VALUE, SETTING_NOTE = "项目", "内容", "用途"
SETTINGS_COLUMNS = (SETTING_KEY, SETTING_VALUE)

# Setting keys. The title lives in `Register.title`, the others in `Register.settings`
# (`Register.office` reads them). Import fills them from the notice; the clerk corrects them.
TITLE_SETTING = "通知标题"
OFFICE_NAME = "督查室"
LEVEL = "层级"
PLACE = "地名"
OFFICE_CONTACT = "督查室联系人"
OFFICE_PHONE = "电话"
OFFICE_EMAIL = "邮箱"
DISTRICT = "区名"  # the place's key before 地名; still read
OFFICE_SETTINGS = (OFFICE_NAME, LEVEL, PLACE, OFFICE_CONTACT, OFFICE_PHONE, OFFICE_EMAIL)
SETTING_NOTES: Mapping[str, str] = {
    TITLE_SETTING: "任务来源的通知标题,印在生成的表格和通报上",
    OFFICE_NAME: "督查室的名称,如「成都市人民政府督查室」,印在填报表、汇总表、对比通报和通报草稿上",
    LEVEL: "发文层级:区、县、市、州、盟、旗、自治区、省等;通知里「市住建局、交通局」的「交通局」按此补「市」",
    PLACE: "发文地名,如「某某市」「某某区」",
    OFFICE_CONTACT: "督查室联系人,印在发给各单位的填报表上;留空则不印联系方式",
    OFFICE_PHONE: "督查室联系电话",
    OFFICE_EMAIL: "报送邮箱",
    DISTRICT: "本区(县)名称(旧写法,同「地名」)",
}

# The mailbox of `excelflow mail` (docs/mail.md): written empty into every new register so the
# clerk sees where they go; the password is never one of them (environment or OS keyring only).
MAIL_IMAP = "收信服务器"
MAIL_SMTP = "发信服务器"
MAIL_SECURITY = "加密方式"
MAIL_ACCOUNT = "邮箱账号"
MAIL_SENDER_NAME = "发件人名称"
MAIL_AUTO_RECEIPTS = "自动发送回执"
# Rarer ones, read when present (docs/mail.md): not written as placeholders.
MAIL_FROM = "发件地址"
MAIL_FOLDER = "收信文件夹"
MAIL_MOVE_TO = "收取后移至"
MAIL_CA_FILE = "CA证书文件"
MAIL_SIZE_CAP = "附件大小上限(MB)"
MAIL_SETTING_NOTES: Mapping[str, str] = {
    MAIL_IMAP: "收取回报表的邮箱服务器,如 imap.exmail.qq.com:993(留空则不收取邮件)",
    MAIL_SMTP: "发送填报表、回执和催报的服务器,如 smtp.exmail.qq.com:465",
    MAIL_SECURITY: "SSL/TLS、STARTTLS 或 不加密(只用于本机);留空按端口判断",
    MAIL_ACCOUNT: "登录邮箱的账号(一般是完整邮箱地址);密码或授权码不写在这里",
    MAIL_SENDER_NAME: "收件人看到的发件人名称(留空用督查室名称)",
    MAIL_AUTO_RECEIPTS: "填「是」则每次收集后自动把回执发给报送人",
}

NONE_CHOSEN = "无"  # typed in 相关单位: the clerk chose that no unit of the group reports on the task
