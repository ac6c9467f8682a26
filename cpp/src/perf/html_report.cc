// fsspeckit: one self-contained HTML file telling what memory did during an operation.
#include "fsspeckit/perf/html_report.h"

#include "fsspeckit/memory/byte_text.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <map>

namespace fsspeckit::perf {

using memory::MibText;
namespace {

using memory::PressureLevel;

// printf-style append (GCC 12 has no std::format), of any length.
void Append(std::string& out, const char* format, ...) {
  va_list args, again;
  va_start(args, format);
  va_copy(again, args);
  int n = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  if (n > 0) {
    size_t old_size = out.size();
    out.resize(old_size + n + 1);
    std::vsnprintf(out.data() + old_size, n + 1, format, again);
    out.resize(old_size + n);
  }
  va_end(again);
}

std::string Escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

double Mib(int64_t bytes) { return static_cast<double>(bytes) / memory::kBytesInMiB; }
double Sec(int64_t ns) { return static_cast<double>(ns) / 1e9; }


std::string SecText(double sec) {
  std::string out;
  Append(out, sec < 10 ? "%.2f s" : "%.1f s", sec);
  return out;
}

// Colours: one per signal, one per pressure level (from NORMAL).
constexpr const char* kPoolColor = "#2563eb";
constexpr const char* kRssColor = "#9333ea";
constexpr const char* kAvailableColor = "#059669";
constexpr const char* kBudgetColor = "#dc2626";
constexpr const char* kLevelColors[] = {"#bbf7d0", "#fde68a", "#fdba74", "#fca5a5"};
constexpr const char* kPhaseColors[] = {"#e0e7ff", "#dcfce7", "#fae8ff", "#ffedd5",
                                        "#e0f2fe", "#fef9c3", "#f1f5f9"};

// Geometry of the chart, in SVG units.
struct Layout {
  double width = 960, left = 92, right = 140;
  double phases_top = 6, chip_height = 18;
  int chip_rows = 1;
  double events_top = 0, event_row_height = 15;
  double memory_top = 0, memory_height = 250;
  double level_top = 0, level_height = 12;
  double available_top = 0, available_height = 100, height = 0;
  double t_max_sec = 1;

  double plot_width() const { return width - left - right; }
  double X(double sec) const { return left + plot_width() * std::clamp(sec / t_max_sec, 0.0, 1.0); }
};

// "Nice" tick spacing (1, 2 or 5 times a power of ten) for about `count` ticks up to max.
double TickStep(double max, int count) {
  if (max <= 0) return 1;
  double raw = max / count, power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

// A vertical scale: bytes to y over a panel.
struct YScale {
  double top, height, max_bytes;
  double Y(double bytes) const {
    return top + height * (1 - std::clamp(bytes / max_bytes, 0.0, 1.05));
  }
};

void DrawYAxis(std::string& svg, const Layout& layout, const YScale& scale) {
  double step = TickStep(Mib(static_cast<int64_t>(scale.max_bytes)), 4);
  for (double mib = 0; mib <= Mib(static_cast<int64_t>(scale.max_bytes)) + 1e-9; mib += step) {
    double y = scale.Y(mib * memory::kBytesInMiB);
    Append(svg, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' class='grid'/>", layout.left,
           layout.left + layout.plot_width(), y, y);
    Append(svg, "<text x='%.1f' y='%.1f' class='tick' text-anchor='end'>%g</text>",
           layout.left - 6, y + 4, mib);
  }
}

void DrawXAxis(std::string& svg, const Layout& layout, double bottom) {
  double step = TickStep(layout.t_max_sec, 8);
  for (double sec = 0; sec <= layout.t_max_sec + 1e-9; sec += step) {
    double x = layout.X(sec);
    Append(svg, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' class='tick-line'/>", x, x, bottom,
           bottom + 4);
    Append(svg, "<text x='%.1f' y='%.1f' class='tick' text-anchor='middle'>%g s</text>", x,
           bottom + 16, sec);
  }
}

// A horizontal band between two byte values where a reading has `level`, tinted like the
// pressure strip (the legend names the colours); `name` shows on hover.
void DrawBand(std::string& svg, const Layout& layout, const YScale& scale, double low_bytes,
              double high_bytes, PressureLevel level, const char* name) {
  double y_top = scale.Y(high_bytes), y_bottom = scale.Y(low_bytes);
  if (y_bottom - y_top < 0.5) return;
  Append(svg, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s' opacity='0.35'>"
              "<title>%s</title></rect>", layout.left, y_top, layout.plot_width(), y_bottom - y_top,
         kLevelColors[static_cast<int>(level)], name);
}

// A name at the right edge of a panel: of a budget line, or of a signal at its last value.
struct RightLabel {
  double y;
  std::string text;
  const char* color;
  const char* css_class;
};

// Draws the labels top to bottom, each moved down just enough not to overlap the last.
void DrawRightLabels(std::string& svg, const Layout& layout, std::vector<RightLabel> labels) {
  std::stable_sort(labels.begin(), labels.end(),
                   [](const RightLabel& a, const RightLabel& b) { return a.y < b.y; });
  double last_y = -1e9;
  for (RightLabel& label : labels) {
    label.y = std::max(label.y, last_y + 13);
    last_y = label.y;
    Append(svg, "<text x='%.1f' y='%.1f' class='%s' fill='%s'>%s</text>",
           layout.left + layout.plot_width() + 6, label.y + 4, label.css_class, label.color,
           Escape(label.text).c_str());
  }
}

RightLabel DrawLimitLine(std::string& svg, const Layout& layout, const YScale& scale, double bytes,
                         const char* color, const std::string& name) {
  double y = scale.Y(bytes);
  Append(svg, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='1.5' "
              "stroke-dasharray='6 4'/>", layout.left, layout.left + layout.plot_width(), y, y, color);
  return {y, name, color, "limit"};
}

// A signal as a line, named at its last value; `value` gives a sample's reading, absent
// where it has none.
template <typename Value>
std::vector<RightLabel> DrawSeries(std::string& svg, const Layout& layout, const YScale& scale,
                                   const std::vector<TimelineSample>& samples, const char* color,
                                   const char* name, Value value) {
  std::string points;
  std::optional<int64_t> last;
  for (const TimelineSample& s : samples) {
    std::optional<int64_t> bytes = value(s);
    if (!bytes) continue;
    Append(points, "%.1f,%.1f ", layout.X(Sec(s.time_ns)), scale.Y(static_cast<double>(*bytes)));
    last = bytes;
  }
  if (!last) return {};
  Append(svg, "<polyline points='%s' fill='none' stroke='%s' stroke-width='2' "
              "stroke-linejoin='round'/>", points.c_str(), color);
  return {{scale.Y(static_cast<double>(*last)), std::string(name) + " " + MibText(*last), color, "series"}};
}

constexpr double kCharWidth = 6.4;  // of the 11-unit labels, roughly

// Phases in order of start. Each is a shaded column behind the panels, named by a chip
// of its colour at its start; chips that would overlap the previous one in a row move
// to the next row (short phases, or inserts beside rewrites).
struct PhaseChips {
  std::vector<PhaseSpan> phases;
  std::vector<int> row_of;
  int rows = 1;
};

PhaseChips LayOutPhases(const Layout& layout, const Timeline& timeline) {
  PhaseChips chips{timeline.phases, {}, 1};
  std::stable_sort(chips.phases.begin(), chips.phases.end(),
                   [](const PhaseSpan& a, const PhaseSpan& b) { return a.time_ns < b.time_ns; });
  std::vector<double> row_end;
  for (const PhaseSpan& phase : chips.phases) {
    double x = layout.X(Sec(phase.time_ns));
    double width = static_cast<double>(timeline.label(phase.label).size()) * kCharWidth + 10;
    size_t row = 0;
    while (row < row_end.size() && row_end[row] > x) ++row;
    if (row == row_end.size()) row_end.push_back(0);
    row_end[row] = x + width + 2;
    chips.row_of.push_back(static_cast<int>(row));
  }
  chips.rows = std::max<int>(1, static_cast<int>(row_end.size()));
  return chips;
}

void DrawPhases(std::string& svg, const Layout& layout, const Timeline& timeline,
                const PhaseChips& chips) {
  std::map<int, int> color_of;  // label -> palette index, in order of appearance
  const double bottom = layout.available_top + layout.available_height;
  for (size_t i = 0; i < chips.phases.size(); ++i) {
    const PhaseSpan& phase = chips.phases[i];
    int color = color_of.emplace(phase.label, static_cast<int>(color_of.size()) % 7).first->second;
    double x0 = layout.X(Sec(phase.time_ns)), x1 = std::max(x0 + 1, layout.X(Sec(phase.end_ns)));
    std::string name = Escape(timeline.label(phase.label));
    std::string tip = name + ": " + SecText(Sec(phase.end_ns - phase.time_ns));
    Append(svg, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s' opacity='0.6'>"
                "<title>%s</title></rect>", x0, layout.events_top, x1 - x0, bottom - layout.events_top,
           kPhaseColors[color], tip.c_str());
    double y = layout.phases_top + chips.row_of[i] * layout.chip_height;
    double width = static_cast<double>(timeline.label(phase.label).size()) * kCharWidth + 10;
    Append(svg, "<g><title>%s</title><rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' rx='3' "
                "fill='%s' stroke='#64748b' stroke-width='0.6'/><text x='%.1f' y='%.1f' "
                "class='phase'>%s</text></g>", tip.c_str(), x0, y, width, layout.chip_height - 3,
           kPhaseColors[color], x0 + 5, y + layout.chip_height - 7, name.c_str());
    Append(svg, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#64748b' stroke-width='0.6'/>",
           x0, x0, y + layout.chip_height - 3, layout.events_top);
  }
}

struct EventStyle {
  const char* symbol;
  const char* color;
  const char* name;
};
EventStyle StyleOf(TimelineEventKind kind) {
  switch (kind) {
    case TimelineEventKind::kCollection: return {"&#9670;", "#475569", "garbage collection"};
    case TimelineEventKind::kPoolRelease: return {"&#9679;", "#0d9488", "pool memory released"};
    case TimelineEventKind::kChunkHalved: return {"&#9660;", "#ea580c", "chunk size halved"};
    case TimelineEventKind::kChunkDoubled: return {"&#9650;", "#16a34a", "chunk size doubled"};
    case TimelineEventKind::kEmergencyRecheck: return {"&#10006;", "#dc2626", "emergency re-read"};
  }
  return {"?", "#000", "event"};
}

std::string EventText(const Timeline& timeline, const TimelineEvent& event) {
  EventStyle style = StyleOf(event.kind);
  std::string text;
  Append(text, "%.2f s: %s", Sec(event.time_ns), style.name);
  if (event.count > 1) Append(text, " (x%lld)", static_cast<long long>(event.count));
  if (event.kind == TimelineEventKind::kChunkHalved || event.kind == TimelineEventKind::kChunkDoubled) {
    Append(text, " to %lld rows", static_cast<long long>(event.value));
  }
  if (event.kind == TimelineEventKind::kEmergencyRecheck) {
    text += ", then ";
    text += memory::PressureLevelName(static_cast<PressureLevel>(event.value));
  }
  std::string_view label = timeline.label(event.label);
  if (!label.empty()) text += ", during " + std::string(label);
  return Escape(text);
}

// The rows of the event strip: one per kind of step that happened (halving and doubling
// share "chunk size"), or none.
std::array<int, kNumTimelineEventKinds> EventRows(const Timeline& timeline, int* rows) {
  std::array<bool, kNumTimelineEventKinds> seen{};
  for (const TimelineEvent& e : timeline.events) seen[static_cast<int>(e.kind)] = true;
  seen[static_cast<int>(TimelineEventKind::kChunkHalved)] |= seen[static_cast<int>(TimelineEventKind::kChunkDoubled)];
  std::array<int, kNumTimelineEventKinds> row_of{};
  *rows = 0;
  for (int k = 0; k < kNumTimelineEventKinds; ++k) {
    if (k == static_cast<int>(TimelineEventKind::kChunkDoubled)) continue;
    row_of[k] = seen[k] ? (*rows)++ : -1;
  }
  row_of[static_cast<int>(TimelineEventKind::kChunkDoubled)] = row_of[static_cast<int>(TimelineEventKind::kChunkHalved)];
  return row_of;
}

// Events: a symbol in their kind's row and a faint guide line down through the pool panel.
void DrawEvents(std::string& svg, const Layout& layout, const Timeline& timeline,
                const std::array<int, kNumTimelineEventKinds>& row_of) {
  static constexpr const char* kRowNames[] = {"collection", "pool release", "chunk size", "",
                                              "emergency"};
  for (int k = 0; k < kNumTimelineEventKinds; ++k) {
    if (row_of[k] < 0 || kRowNames[k][0] == '\0') continue;
    Append(svg, "<text x='%.1f' y='%.1f' class='tick' text-anchor='end'>%s</text>", layout.left - 6,
           layout.events_top + row_of[k] * layout.event_row_height + 11, kRowNames[k]);
  }
  for (const TimelineEvent& event : timeline.events) {
    EventStyle style = StyleOf(event.kind);
    double x = layout.X(Sec(event.time_ns));
    double y = layout.events_top + row_of[static_cast<int>(event.kind)] * layout.event_row_height;
    Append(svg, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='1' "
                "opacity='0.3'/>", x, x, y + 13, layout.memory_top + layout.memory_height, style.color);
    Append(svg, "<text x='%.1f' y='%.1f' text-anchor='middle' class='event' fill='%s'>%s<title>%s"
                "</title></text>", x, y + 12, style.color, style.symbol, EventText(timeline, event).c_str());
  }
}

// The worst pressure level over time, as a strip of coloured runs.
void DrawLevels(std::string& svg, const Layout& layout, const Timeline& timeline) {
  const auto& samples = timeline.samples;
  Append(svg, "<text x='%.1f' y='%.1f' class='tick' text-anchor='end'>pressure</text>",
         layout.left - 6, layout.level_top + 10);
  for (size_t i = 0; i < samples.size();) {
    size_t j = i + 1;
    while (j < samples.size() && samples[j].level == samples[i].level) ++j;
    double x0 = layout.X(Sec(samples[i].time_ns));
    double x1 = j < samples.size() ? layout.X(Sec(samples[j].time_ns)) : layout.X(layout.t_max_sec);
    int level = static_cast<int>(samples[i].level);
    Append(svg, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'><title>%s</title>"
                "</rect>", x0, layout.level_top, std::max(1.0, x1 - x0), layout.level_height,
           kLevelColors[level], std::string(memory::PressureLevelName(samples[i].level)).c_str());
    i = j;
  }
}

const TimelineSample* PoolPeak(const Timeline& timeline) {
  const TimelineSample* peak = nullptr;
  for (const TimelineSample& s : timeline.samples) {
    if (!peak || s.pool_bytes > peak->pool_bytes) peak = &s;
  }
  return peak;
}

void DrawPeak(std::string& svg, const Layout& layout, const YScale& scale, const Timeline& timeline) {
  const TimelineSample* peak = PoolPeak(timeline);
  if (!peak || peak->pool_bytes == 0) return;
  double x = layout.X(Sec(peak->time_ns)), y = scale.Y(static_cast<double>(peak->pool_bytes));
  std::string text = "pool peak " + MibText(peak->pool_bytes);
  Append(svg, "<circle cx='%.1f' cy='%.1f' r='4.5' fill='%s' stroke='white' stroke-width='1.5'/>", x, y,
         kPoolColor);
  bool left = x > layout.left + layout.plot_width() * 0.7;
  Append(svg, "<text x='%.1f' y='%.1f' class='peak' text-anchor='%s'>%s</text>", left ? x - 8 : x + 8,
         std::max(layout.memory_top + 12, y - 8), left ? "end" : "start", Escape(text).c_str());
}

void DrawMemoryPanel(std::string& svg, const Layout& layout, const Timeline& timeline,
                     const PerformanceMetrics& metrics) {
  const memory::MemoryLimits& limits = timeline.limits;
  double max_bytes = std::max<double>(
      {static_cast<double>(limits.max_pool_bytes), static_cast<double>(metrics.memory_peak_bytes),
       static_cast<double>(metrics.process_memory_peak_bytes),
       static_cast<double>(limits.max_rss_bytes.value_or(0))});
  YScale scale{layout.memory_top, layout.memory_height, max_bytes * 1.08};
  const double budget = static_cast<double>(limits.max_pool_bytes);
  DrawBand(svg, layout, scale, 0.7 * budget, 0.9 * budget, PressureLevel::kWarning,
           "pool over 70% of its budget: warning");
  DrawBand(svg, layout, scale, 0.9 * budget, budget, PressureLevel::kCritical,
           "pool over 90% of its budget: critical");
  DrawYAxis(svg, layout, scale);
  std::vector<RightLabel> labels = {
      DrawLimitLine(svg, layout, scale, budget, kBudgetColor, "pool budget " + MibText(limits.max_pool_bytes))};
  if (limits.max_rss_bytes && *limits.max_rss_bytes > 0) {
    labels.push_back(DrawLimitLine(svg, layout, scale, static_cast<double>(*limits.max_rss_bytes),
                                   kRssColor, "RSS budget " + MibText(*limits.max_rss_bytes)));
  }
  for (RightLabel& label : DrawSeries(svg, layout, scale, timeline.samples, kRssColor, "RSS",
                                      [](const TimelineSample& s) { return s.rss_bytes; })) {
    labels.push_back(std::move(label));
  }
  for (RightLabel& label :
       DrawSeries(svg, layout, scale, timeline.samples, kPoolColor, "pool",
                  [](const TimelineSample& s) { return std::optional<int64_t>(s.pool_bytes); })) {
    labels.push_back(std::move(label));
  }
  DrawRightLabels(svg, layout, std::move(labels));
  DrawPeak(svg, layout, scale, timeline);
  Append(svg, "<text x='14' y='%.1f' class='axis' transform='rotate(-90 14 %.1f)' "
              "text-anchor='middle'>MiB</text>", layout.memory_top + layout.memory_height / 2,
         layout.memory_top + layout.memory_height / 2);
}

void DrawAvailablePanel(std::string& svg, const Layout& layout, const Timeline& timeline) {
  const double min_bytes = static_cast<double>(timeline.limits.min_system_available_bytes);
  double max_bytes = 2.2 * min_bytes;
  for (const TimelineSample& s : timeline.samples) {
    if (s.available_bytes) max_bytes = std::max(max_bytes, static_cast<double>(*s.available_bytes));
  }
  if (max_bytes <= 0) max_bytes = memory::kBytesInMiB;
  YScale scale{layout.available_top, layout.available_height, max_bytes * 1.08};
  if (min_bytes > 0) {
    DrawBand(svg, layout, scale, 1.5 * min_bytes, 2 * min_bytes, PressureLevel::kWarning,
             "under twice the minimum: warning");
    DrawBand(svg, layout, scale, min_bytes, 1.5 * min_bytes, PressureLevel::kCritical,
             "under 1.5 times the minimum: critical");
    DrawBand(svg, layout, scale, 0, min_bytes, PressureLevel::kEmergency, "under the minimum: emergency");
  }
  DrawYAxis(svg, layout, scale);
  std::vector<RightLabel> labels = DrawSeries(svg, layout, scale, timeline.samples, kAvailableColor,
                                              "available", [](const TimelineSample& s) { return s.available_bytes; });
  if (min_bytes > 0) {
    labels.push_back(DrawLimitLine(svg, layout, scale, min_bytes, kBudgetColor,
                                   "keep " + MibText(timeline.limits.min_system_available_bytes) + " free"));
  }
  DrawRightLabels(svg, layout, std::move(labels));
}

std::string Chart(const PerformanceMetrics& metrics) {
  const Timeline& timeline = metrics.timeline;
  Layout layout;
  layout.t_max_sec = std::max(1e-3, metrics.total_process_time_sec);
  for (const TimelineSample& s : timeline.samples) layout.t_max_sec = std::max(layout.t_max_sec, Sec(s.time_ns));
  PhaseChips chips = LayOutPhases(layout, timeline);
  int event_rows = 0;
  std::array<int, kNumTimelineEventKinds> event_row_of = EventRows(timeline, &event_rows);
  layout.events_top = layout.phases_top + chips.rows * layout.chip_height + 4;
  layout.memory_top = layout.events_top + event_rows * layout.event_row_height + 6;
  layout.level_top = layout.memory_top + layout.memory_height + 8;
  layout.available_top = layout.level_top + layout.level_height + 14;
  layout.height = layout.available_top + layout.available_height + 26;

  std::string svg;
  Append(svg, "<svg id='chart' viewBox='0 0 %.0f %.0f' width='100%%' role='img' "
              "xmlns='http://www.w3.org/2000/svg' aria-label='memory over time' data-left='%.1f' "
              "data-width='%.1f' data-tmax='%.6f'>",
         layout.width, layout.height, layout.left, layout.plot_width(), layout.t_max_sec);
  DrawPhases(svg, layout, timeline, chips);
  DrawMemoryPanel(svg, layout, timeline, metrics);
  DrawLevels(svg, layout, timeline);
  DrawAvailablePanel(svg, layout, timeline);
  DrawEvents(svg, layout, timeline, event_row_of);
  Append(svg, "<text x='14' y='%.1f' class='axis' transform='rotate(-90 14 %.1f)' "
              "text-anchor='middle'>available MiB</text>",
         layout.available_top + layout.available_height / 2, layout.available_top + layout.available_height / 2);
  DrawXAxis(svg, layout, layout.available_top + layout.available_height);
  // The hover cursor (see kReadoutScript).
  Append(svg, "<line id='cursor' x1='0' x2='0' y1='%.1f' y2='%.1f' stroke='#0f172a' "
              "stroke-width='1' visibility='hidden' pointer-events='none'/>",
         layout.memory_top, layout.available_top + layout.available_height);
  svg += "</svg>";
  return svg;
}

std::string Legend(const Timeline& timeline) {
  std::string html = "<div class='legend'>";
  Append(html, "<span><i style='background:%s'></i>Arrow pool</span>", kPoolColor);
  Append(html, "<span><i style='background:%s'></i>process RSS</span>", kRssColor);
  Append(html, "<span><i style='background:%s'></i>system available</span>", kAvailableColor);
  Append(html, "<span><i class='dash' style='border-color:%s'></i>budget</span>", kBudgetColor);
  html += "<span>pressure:";
  for (int level = 0; level < memory::kNumPressureLevels; ++level) {
    Append(html, " <i class='box' style='background:%s'></i>%s", kLevelColors[level],
           std::string(memory::PressureLevelName(static_cast<PressureLevel>(level))).c_str());
  }
  html += "</span>";
  std::array<int64_t, kNumTimelineEventKinds> counts{};
  for (const TimelineEvent& e : timeline.events) counts[static_cast<int>(e.kind)] += e.count;
  for (int k = 0; k < kNumTimelineEventKinds; ++k) {
    if (counts[k] == 0) continue;
    EventStyle style = StyleOf(static_cast<TimelineEventKind>(k));
    Append(html, "<span><b style='color:%s'>%s</b> %s</span>", style.color, style.symbol, style.name);
  }
  return html + "</div>";
}

// One sentence a reader takes away in ten seconds: did the budget hold, where memory
// peaked, what the ladder did.
std::string Headline(const PerformanceMetrics& metrics) {
  const Timeline& timeline = metrics.timeline;
  const int64_t budget = timeline.limits.max_pool_bytes;
  const bool held = metrics.memory_peak_bytes <= budget;
  std::string html;
  Append(html, "<p class='headline %s'><b>%s</b> ", held ? "ok" : "over",
         held ? "The memory budget held." : "The memory budget was exceeded.");
  Append(html, "The Arrow pool peaked at <b>%s</b> of its %s budget (%.0f%%)",
         MibText(metrics.memory_peak_bytes).c_str(), MibText(budget).c_str(),
         100.0 * static_cast<double>(metrics.memory_peak_bytes) / static_cast<double>(budget));
  if (const TimelineSample* peak = PoolPeak(timeline); peak && peak->pool_bytes > 0) {
    Append(html, " at %.2f s", Sec(peak->time_ns));
    std::string_view label = timeline.label(peak->label);
    if (!label.empty()) html += ", during " + Escape(label);
  }
  html += ". ";
  std::array<int64_t, kNumTimelineEventKinds> counts{};
  for (const TimelineEvent& e : timeline.events) counts[static_cast<int>(e.kind)] += e.count;
  static constexpr const char* kSteps[][2] = {{"garbage collection", "garbage collections"},
                                              {"pool release", "pool releases"},
                                              {"chunk halving", "chunk halvings"},
                                              {"chunk doubling", "chunk doublings"},
                                              {"emergency re-read", "emergency re-reads"}};
  std::string steps;
  for (int k = 0; k < kNumTimelineEventKinds; ++k) {
    if (counts[k] == 0) continue;
    if (!steps.empty()) steps += ", ";
    Append(steps, "%lld %s", static_cast<long long>(counts[k]), kSteps[k][counts[k] == 1 ? 0 : 1]);
  }
  html += steps.empty() ? "Pressure never called for the degradation ladder to act."
                        : "Under pressure the degradation ladder acted: " + steps + ".";
  return html + "</p>";
}

void Row(std::string& html, const std::string& name, const std::string& value,
         const std::string& note = "") {
  html += "<tr><th>" + Escape(name) + "</th><td>" + Escape(value) + "</td><td class='note'>" + note +
          "</td></tr>";
}

std::string PhaseTable(const PerformanceMetrics& metrics) {
  std::string html = "<table><caption>Time per phase</caption>";
  const double total = std::max(1e-9, metrics.total_process_time_sec);
  for (const auto& [name, sec] : metrics.operation_breakdown_sec) {
    std::string bar;
    Append(bar, "<span class='bar' style='width:%.0fpx'></span> %.0f%%", 160 * std::min(1.0, sec / total),
           100 * sec / total);
    Row(html, name, SecText(sec), bar);
  }
  Row(html, "total", SecText(metrics.total_process_time_sec));
  return html + "</table>";
}

std::string PercentOf(int64_t value, int64_t limit) {
  std::string out;
  if (limit > 0) Append(out, "%.0f%% of %s", 100.0 * static_cast<double>(value) / static_cast<double>(limit),
                        MibText(limit).c_str());
  return out;
}

std::string MemoryTable(const PerformanceMetrics& metrics) {
  const Timeline& timeline = metrics.timeline;
  const memory::MemoryLimits& limits = timeline.limits;
  std::string html = "<table><caption>Peaks against budgets</caption>";
  Row(html, "Arrow pool peak", MibText(metrics.memory_peak_bytes),
      "budget " + PercentOf(metrics.memory_peak_bytes, limits.max_pool_bytes));
  Row(html, "process RSS peak", MibText(metrics.process_memory_peak_bytes),
      limits.max_rss_bytes && *limits.max_rss_bytes > 0
          ? "budget " + PercentOf(metrics.process_memory_peak_bytes, *limits.max_rss_bytes)
          : std::string("no RSS budget set"));
  std::optional<int64_t> least;
  for (const TimelineSample& s : timeline.samples) {
    if (s.available_bytes) least = std::min(least.value_or(*s.available_bytes), *s.available_bytes);
  }
  if (least) {
    Row(html, "least system available", MibText(*least),
        "minimum to keep " + MibText(limits.min_system_available_bytes));
  }
  std::string levels;
  int64_t counted = 0;
  for (int64_t n : metrics.pressure_counts) counted += n;
  for (int level = 0; level < memory::kNumPressureLevels; ++level) {
    if (metrics.pressure_counts[level] == 0) continue;
    if (!levels.empty()) levels += ", ";
    Append(levels, "%s %.0f%%", std::string(memory::PressureLevelName(static_cast<PressureLevel>(level))).c_str(),
           100.0 * static_cast<double>(metrics.pressure_counts[level]) / static_cast<double>(std::max<int64_t>(1, counted)));
  }
  Row(html, "pressure level, share of time", levels, "sampled every 100 ms, worst reading of each");
  const DegradationCounters& d = metrics.degradation;
  Row(html, "garbage collections", std::to_string(d.collections));
  Row(html, "pool releases", std::to_string(d.pool_releases));
  Row(html, "chunk halvings", std::to_string(d.chunk_size_reductions),
      d.smallest_chunk_size_rows && d.chunk_size_reductions > 0
          ? "smallest chunk " + std::to_string(*d.smallest_chunk_size_rows) + " rows"
          : std::string());
  return html + "</table>";
}

// JSON string contents: quotes, backslashes and control characters escaped, and every
// "<", so that no name can end the script element it sits in.
std::string JsonText(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      Append(out, "\\u%04x", static_cast<unsigned char>(c));
    } else if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

// The samples as JSON columns for the hover readout: seconds, MiB, level, label index.
std::string SamplesJson(const Timeline& timeline) {
  std::string t, pool, rss, available, level, label;
  auto mib = [](std::string& out, std::optional<int64_t> bytes) {
    if (bytes) {
      Append(out, "%.1f,", Mib(*bytes));
    } else {
      out += "null,";
    }
  };
  for (const TimelineSample& s : timeline.samples) {
    Append(t, "%.4f,", Sec(s.time_ns));
    mib(pool, s.pool_bytes);
    mib(rss, s.rss_bytes);
    mib(available, s.available_bytes);
    Append(level, "%d,", static_cast<int>(s.level));
    Append(label, "%d,", s.label);
  }
  std::string labels;
  for (const std::string& name : timeline.labels) labels += "\"" + JsonText(name) + "\",";
  for (std::string* column : {&t, &pool, &rss, &available, &level, &label, &labels}) {
    if (!column->empty()) column->pop_back();  // the trailing comma
  }
  return "{\"t\":[" + t + "],\"pool\":[" + pool + "],\"rss\":[" + rss + "],\"available\":[" +
         available + "],\"level\":[" + level + "],\"label\":[" + label + "],\"labels\":[" + labels + "]}";
}

// Hovering the chart shows the nearest sample's readings; inline, nothing fetched.
constexpr const char* kReadoutScript = R"(<script>
(function () {
  const d = JSON.parse(document.getElementById('samples').textContent);
  const svg = document.getElementById('chart'), cursor = document.getElementById('cursor');
  const box = document.getElementById('readout');
  const left = +svg.dataset.left, width = +svg.dataset.width, tmax = +svg.dataset.tmax;
  const levels = ['normal', 'warning', 'critical', 'emergency'];
  const mib = v => v === null ? 'unknown' : (v < 10 ? v.toFixed(1) : Math.round(v)) + ' MiB';
  const hide = () => { cursor.setAttribute('visibility', 'hidden'); box.style.display = 'none'; };
  svg.addEventListener('mousemove', e => {
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(svg.getScreenCTM().inverse());
    const t = (p.x - left) / width * tmax;
    if (!d.t.length || t < 0 || t > tmax) return hide();
    let lo = 0, hi = d.t.length - 1;
    while (hi - lo > 1) { const m = (lo + hi) >> 1; if (d.t[m] < t) lo = m; else hi = m; }
    const i = Math.abs(d.t[lo] - t) <= Math.abs(d.t[hi] - t) ? lo : hi;
    const x = left + d.t[i] / tmax * width;
    cursor.setAttribute('x1', x); cursor.setAttribute('x2', x);
    cursor.setAttribute('visibility', 'visible');
    box.textContent = [d.t[i].toFixed(3) + ' s' + (d.label[i] >= 0 ? ': ' + d.labels[d.label[i]] : ''),
      'Arrow pool ' + mib(d.pool[i]), 'process RSS ' + mib(d.rss[i]),
      'system available ' + mib(d.available[i]), 'pressure ' + levels[d.level[i]]].join('\n');
    box.style.left = (e.pageX + 14) + 'px'; box.style.top = (e.pageY + 14) + 'px';
    box.style.display = 'block';
  });
  svg.addEventListener('mouseleave', hide);
})();
</script>)";

constexpr const char* kStyle = R"(<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#0f172a;margin:24px auto;max-width:1000px;padding:0 16px}
h1{font-size:20px;margin:0 0 4px}
.headline{font-size:15px;margin:6px 0 12px;padding:10px 12px;border-radius:6px}
.headline.ok{background:#f0fdf4;border-left:4px solid #16a34a}
.headline.over{background:#fef2f2;border-left:4px solid #dc2626}
svg text{font-family:inherit}
.grid{stroke:#e2e8f0;stroke-width:1}
.tick-line{stroke:#64748b}
.tick{font-size:11px;fill:#475569}
.axis{font-size:11px;fill:#475569}
.limit{font-size:11px;font-weight:600}
.series{font-size:11px}
.phase{font-size:11px;fill:#1e293b}
.event{font-size:13px;cursor:default}
.peak{font-size:12px;font-weight:600;fill:#1e3a8a}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;font-size:12px;color:#334155;margin:4px 0 14px 80px}
.legend i{display:inline-block;width:16px;height:3px;vertical-align:middle;margin-right:5px}
.legend i.dash{height:0;border-top:2px dashed}
.legend i.box{width:10px;height:10px;margin:0 3px 0 6px}
.tables{display:flex;flex-wrap:wrap;gap:24px}
table{border-collapse:collapse;font-size:13px;min-width:300px}
caption{text-align:left;font-weight:600;padding:4px 0}
th{text-align:left;font-weight:normal;color:#475569;padding:3px 12px 3px 0}
td{padding:3px 12px 3px 0;font-variant-numeric:tabular-nums}
td.note{color:#64748b;font-size:12px}
.bar{display:inline-block;height:8px;background:#93c5fd;border-radius:2px;vertical-align:middle}
footer{margin-top:18px;font-size:11px;color:#94a3b8}
.readout{display:none;position:absolute;pointer-events:none;white-space:pre;font-size:12px;background:#fff;border:1px solid #cbd5e1;border-radius:4px;padding:6px 8px;box-shadow:0 2px 6px rgba(0,0,0,.12)}
</style>)";

}  // namespace

std::string WithThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string RequestCountsText(const std::map<std::string, int64_t>& requests) {
  std::string kinds;
  int64_t total = 0;
  for (const auto& [kind, count] : requests) {
    kinds += (kinds.empty() ? "" : ", ") + kind + " " + WithThousands(count);
    total += count;
  }
  return WithThousands(total) + " (" + kinds + ")";
}

std::string RenderHtmlReport(const ReportContent& content) {
  const PerformanceMetrics& metrics = content.metrics;
  std::string html = "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>" +
                     Escape(content.title) + "</title>" + kStyle + "</head><body>\n";
  html += "<h1>" + Escape(content.title) + "</h1>\n" + Headline(metrics) + "\n";
  html += Chart(metrics) + "\n<div id='readout' class='readout'></div>\n" + Legend(metrics.timeline) +
          "\n<div class='tables'>";
  if (!content.facts.empty()) {
    html += "<table><caption>What happened</caption>";
    for (const auto& [name, value] : content.facts) Row(html, name, value);
    html += "</table>";
  }
  html += PhaseTable(metrics) + MemoryTable(metrics) + "</div>\n";
  Append(html, "<footer>fsspeckit report: %lld memory checks over %.2f s, drawn as %zu points (each the "
               "peak of its %.0f ms); hover the chart for the readings, a phase or an event for details.</footer>\n",
         static_cast<long long>(metrics.timeline.checks), metrics.total_process_time_sec,
         metrics.timeline.samples.size(), static_cast<double>(metrics.timeline.sample_bucket_ns) / 1e6);
  html += "<script type='application/json' id='samples'>" + SamplesJson(metrics.timeline) + "</script>\n";
  return html + kReadoutScript + "\n</body></html>\n";
}

arrow::Status WriteHtmlReport(const ReportContent& content, const std::string& path) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return arrow::Status::IOError("cannot write the report to '", path, "': check that the folder exists and is writable");
  file << RenderHtmlReport(content);
  file.close();
  if (!file) return arrow::Status::IOError("writing the report to '", path, "' failed (disk full?)");
  return arrow::Status::OK();
}

}  // namespace fsspeckit::perf
