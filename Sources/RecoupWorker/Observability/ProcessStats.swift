import Foundation

/// The process's own vital signs for `/metrics`, under Prometheus' standard names: resident
/// memory (read from `/proc/self/statm`) and when the process started.
enum ProcessStats {
    /// Set when first read; `RecoupDaemon` reads it as it starts.
    static let startedAt = Date()

    /// Resident set size in bytes, nil where `/proc` is not there to ask.
    static var residentBytes: Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Double(fields[1]) else { return nil }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    static var samples: [PrometheusText.Sample] {
        var samples = [PrometheusText.Sample(.processStartTime, startedAt.timeIntervalSince1970.rounded())]
        if let residentBytes { samples.append(.init(.processResidentMemory, residentBytes)) }
        return samples
    }
}
