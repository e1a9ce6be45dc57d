# The Rizhao enterprise rules of policies/rizhao-2022.policy (日政办字〔2022〕10号) in Rego, for
# the peer-engine benchmark of issue 6 (regorus). As the issue allows, it decides complete
# records only: every required field present (no blanks, so no three-valued logic), and none of
# the optional columns that feed the three supports the document leaves without a rate.
#
# Input: one enterprise with the policy's field names; dates "YYYY-MM-DD", money in 元 (numbers),
# enums as their labels, new_honours an array. Data: {"settings": {"as_of": "YYYY-MM-DD"}}.
# Output: data.rizhao.result = {"cultivation_pool", "awards", "benefits", "total"}.
package rizhao

import rego.v1

# 二.1: the ten priority sectors, read as a closed list.
priority_sectors := {"先进钢铁制造", "汽车整车及零部件", "新一代信息技术", "新医药", "新材料", "新装备", "高端化工", "粮油食品", "浆纸包装", "绿色建材"}

# 二.2(三): “1000万元左右” read as at least 900万元.
revenue_floor := 9000000

good_tax_credit := {"A", "B"}

small_and_medium := {"微型", "小型", "中型"}

as_of_ns := time.parse_ns("2006-01-02", data.settings.as_of)

registered_in_rizhao if input.registered_in == "日照市"

# 二.1: any one of the three routes.
key_field if {
	input.sector in priority_sectors
	input.fits_four_bases_catalogue
}

key_field if input.in_key_conversion_project

key_field if {
	input.in_encouraged_pillar_industry
	input.has_first_set_product
}

# 二.2(一). Two years are added as 24 months: regorus's time.add_date leaves 2020-02-29 plus two
# years undefined, while 24 months end on 2022-02-28, as the policy counts them.
registration_and_size if {
	registered_in_rizhao
	time.add_date(time.parse_ns("2006-01-02", input.registered_on), 0, 24, 0) <= as_of_ns
	input.independent_legal_person
	input.size in small_and_medium
}

# 二.2(二)
prospects_and_compliance if {
	input.good_prospects
	input.energy_environment_safety_compliant
}

# 二.2(三)
operations_and_credit if {
	input.revenue_last_year >= revenue_floor
	input.quality_system_certified
	input.product_quality_stable
	input.bank_credit_good
	input.tax_credit in good_tax_credit
	input.social_credit_good
}

# 二.2(四)
clean_record if {
	not input.supplied_false_information
	input.accidents_last_two_years == 0
	input.penalties_last_two_years == 0
}

default cultivation_pool := false

cultivation_pool if {
	key_field
	registration_and_size
	prospects_and_compliance
	operations_and_credit
	clean_record
}

# 三(一)2: an award for each honour newly recognised, if registered in Rizhao.
honoured(honour) if {
	registered_in_rizhao
	honour in input.new_honours
}

# 四 (就高不就低，不重复奖励): only the highest is paid. An else chain takes the first that holds,
# as a decision table with the first-hit policy does: the awards in the order of their amounts,
# then of the group's list, so the first that holds is the highest and the first listed wins a tie.
winner := {"award": "unicorn", "amount": 3000000} if {
	honoured("独角兽企业")
} else := {"award": "national_champion_enterprise", "amount": 2000000} if {
	honoured("国家级制造业单项冠军企业")
} else := {"award": "national_champion_product", "amount": 1000000} if {
	honoured("国家级制造业单项冠军产品")
} else := {"award": "little_giant", "amount": 1000000} if {
	honoured("专精特新小巨人企业")
} else := {"award": "shandong_champion", "amount": 500000} if {
	honoured("山东省制造业单项冠军企业")
} else := {"award": "provincial_gazelle", "amount": 300000} if {
	honoured("省级瞪羚企业")
} else := {"award": "provincial_specialized", "amount": 200000} if {
	honoured("省级专精特新中小企业")
}

default awards := []

awards := [winner] if winner

# 三(一)2: any provincial-or-higher honour, not affected by no stacking.
default benefits := []

benefits := ["mu_efficiency_a"] if winner

default total := 0

total := winner.amount if winner

result := {
	"cultivation_pool": cultivation_pool,
	"awards": awards,
	"benefits": benefits,
	"total": total,
}
