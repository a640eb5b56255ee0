// The median of the durations seen so far (--timeout N%), kept in two heaps so that
// adding one is O(log n) however many jobs have run.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <queue>
#include <vector>

namespace ciutils::prun {

class RunningMedian {
public:
  void add(double value) {
    if (m_low.empty() || value <= m_low.top()) {
      m_low.push(value);
    } else {
      m_high.push(value);
    }
    if (m_low.size() > m_high.size() + 1) {
      m_high.push(m_low.top());
      m_low.pop();
    } else if (m_high.size() > m_low.size()) {
      m_low.push(m_high.top());
      m_high.pop();
    }
  }
  std::optional<double> median() const {
    if (m_low.empty()) return std::nullopt;
    if (m_low.size() > m_high.size()) return m_low.top();
    return (m_low.top() + m_high.top()) / 2;
  }
  std::size_t count() const { return m_low.size() + m_high.size(); }

private:
  std::priority_queue<double> m_low;                                          // the lower half, largest on top
  std::priority_queue<double, std::vector<double>, std::greater<>> m_high;  // the upper half, smallest on top
};

}  // namespace ciutils::prun
