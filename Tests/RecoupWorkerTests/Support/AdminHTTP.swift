import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension DaemonHarness {
    /// GETs `path` (say `/readyz`) from this world's admin endpoint, retried briefly while the
    /// daemon starts listening; returns the status and the body.
    func adminGET(_ path: String) async throws -> (status: Int, body: [UInt8]) {
        try await Self.httpGET("http://127.0.0.1:\(adminPort)\(path)")
    }

    /// GETs `url`, retrying for up to 5 seconds while nothing listens there yet.
    static func httpGET(_ url: String) async throws -> (status: Int, body: [UInt8]) {
        var lastError: (any Error)?
        for _ in 0..<50 {
            do {
                let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
                return ((response as? HTTPURLResponse)?.statusCode ?? 0, Array(data))
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw lastError!
    }
}
