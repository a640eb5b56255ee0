// Label expressions as Jenkins Lockable Resources users write them: `linux && gpu`,
// `!arm && (eu || us)`. Parsed here (pure, unit-tested) into postfix form, which the
// acquire script evaluates against each pool member's labels inside Redis.
#pragma once

#include <string>
#include <vector>

namespace ciutils::lockctl {

struct LabelExpr {
  std::string text;                // as given
  std::vector<std::string> postfix;  // labels and the operators "!", "&&", "||"
};

// Grammar: or := and ('||' and)* ; and := unary ('&&' unary)* ;
// unary := '!' unary | '(' or ')' | LABEL, a label being a resource name
// ([A-Za-z0-9._-], 1..128). Throws UsageError naming --label and the column.
LabelExpr parse_label_expr(const std::string& text);

}  // namespace ciutils::lockctl
