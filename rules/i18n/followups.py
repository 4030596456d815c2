"""Messages of the follow-ups domain (回访 / 满意度)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "followups.err.score_range": ("评分须在 1–5 之间：{value}", "A score is 1–5: {value}"),
    "followups.err.score_missing": (
        "三项评分须同时填写",
        "Give all three scores, or none",
    ),
    "followups.err.low_needs_comment": (
        "评分≤2时须填写评分说明",
        "A score of 2 or less needs a comment",
    ),
    "followups.err.self_rating": (
        "被评价的工程师不能记录自己的评分",
        "The rated engineer cannot record his own rating",
    ),
    "followups.err.retries": (
        "已重拨 {max} 次，不能再重拨",
        "Already retried {max} times: no further retry",
    ),
    "followups.err.not_found": ("找不到回访 {value}", "No such follow-up: {value}"),
    "followups.err.finished": ("回访 {value} 已结束", "Follow-up {value} is finished"),
    "followups.err.no_customer": ("客户不存在：{value}", "No such customer: {value}"),
    "followups.title": ("回访与满意度", "Follow-ups & satisfaction"),
    "followups.tab.today": ("今日回访", "Today's calls"),
    "followups.tab.register": ("回访登记表", "Register"),
    "followups.tab.plan": ("年度回访计划", "Annual plan"),
    "followups.tab.reviews": ("满意度评审", "Satisfaction reviews"),
    "followups.none": ("今天没有待回访", "No calls due today"),
    "followups.overdue": ("逾期", "Overdue"),
    "followups.pick": ("选择回访", "Call"),
    "followups.outcome.save": ("保存回访结果", "Save outcome"),
    "followups.saved": ("已保存：{value}", "Saved: {value}"),
    "followups.complaint_opened": (
        "低分已自动登记投诉 {value}",
        "Low score: complaint {value} opened",
    ),
    "followups.week_export": ("下载本周回访清单 (Excel)", "Download this week's call list (Excel)"),
    "followups.generate": ("生成回访队列", "Generate the call queue"),
    "followups.generated": ("新增 {value} 条回访", "{value} follow-ups added"),
    "followups.review.check": ("检查本月满意度", "Check this month's satisfaction"),
    "followups.review.opened": (
        "满意度 {rate:.1f}% 低于 {threshold:.0f}%：已开启评审",
        "Satisfaction {rate:.1f}% below {threshold:.0f}%: review opened",
    ),
    "followups.review.fine": ("满意度未低于阈值", "Satisfaction is not below the threshold"),
    "followups.review.close": ("关闭评审", "Close review"),
    "followups.review.linked": (
        "评审记录 #{id}：{period_start} 至 {period_end}，满意率 {satisfaction}%（阈值 {threshold}%），"
        "共 {ratings} 条评价，状态：{status}",
        "Review #{id}: {period_start} to {period_end}, satisfaction {satisfaction}% (threshold "
        "{threshold}%), {ratings} ratings, status: {status}",
    ),
    "followups.review.not_found": ("没有编号为 {id} 的评审记录。", "No review #{id}."),
    "followups.issue.ticket": ("为客户反映的问题开工单", "Open a ticket for the issue raised"),
    "followups.issue.opened": ("已开工单 {value}", "Ticket {value} opened"),
    "followups.year": ("年度", "Year"),
    "followups.plan.customer": ("客户", "Customer"),
}
