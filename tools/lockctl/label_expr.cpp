#include "label_expr.h"

#include "ciutils/error.h"

namespace ciutils::lockctl {

namespace {

bool label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

class Parser {
public:
  explicit Parser(const std::string& text) : m_text(text) {}

  std::vector<std::string> parse() {
    parse_or();
    skip_spaces();
    if (m_pos < m_text.size()) fail("unexpected '" + std::string(1, m_text[m_pos]) + "'");
    return std::move(m_out);
  }

private:
  void parse_or() {
    parse_and();
    while (take("||")) {
      parse_and();
      m_out.emplace_back("||");
    }
  }

  void parse_and() {
    parse_unary();
    while (take("&&")) {
      parse_unary();
      m_out.emplace_back("&&");
    }
  }

  void parse_unary() {
    skip_spaces();
    if (take("!")) {
      parse_unary();
      m_out.emplace_back("!");
      return;
    }
    if (take("(")) {
      parse_or();
      if (!take(")")) fail("expected ')'");
      return;
    }
    std::size_t start = m_pos;
    while (m_pos < m_text.size() && label_char(m_text[m_pos])) ++m_pos;
    if (start == m_pos) {
      fail(m_pos < m_text.size() ? "expected a label, found '" + std::string(1, m_text[m_pos]) + "'"
                                 : "expected a label");
    }
    std::string label = m_text.substr(start, m_pos - start);
    if (label.size() > 128) {
      m_pos = start;
      fail("label longer than 128 characters");
    }
    m_out.push_back(std::move(label));
  }

  bool take(const char* token) {
    skip_spaces();
    std::string_view t(token);
    if (m_text.compare(m_pos, t.size(), t) != 0) return false;
    m_pos += t.size();
    return true;
  }

  void skip_spaces() {
    while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t')) ++m_pos;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw UsageError("--label: " + what + " at column " + std::to_string(m_pos + 1) + " of '" + m_text + "'");
  }

  const std::string& m_text;
  std::size_t m_pos = 0;
  std::vector<std::string> m_out;
};

}  // namespace

LabelExpr parse_label_expr(const std::string& text) {
  if (text.find_first_not_of(" \t") == std::string::npos) throw UsageError("--label: empty expression");
  return LabelExpr{text, Parser(text).parse()};
}

}  // namespace ciutils::lockctl
