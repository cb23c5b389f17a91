import Foundation
import RecoupConfig
import RecoupCore

/// The policy files as shipped in `Config/`, loaded once for the tests that check them.
enum ShippedPolicy {
    static let configDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Config").path

    static let rules: PaymentRules = {
        do {
            return try PaymentRulesFiles.load(directory: configDirectory)
        } catch {
            fatalError("the shipped payment policy does not load: \(error)")
        }
    }()

    static let templates: TemplateLibrary = {
        do {
            return try TemplateFiles.load(directory: configDirectory)
        } catch {
            fatalError("the shipped templates do not load: \(error)")
        }
    }()

    static func date(_ text: String) -> Date { Timestamp.parse(text)! }
}
