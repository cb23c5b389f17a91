import Foundation

/// Adds and deletes the tests' vhosts on the local broker in batches.
///
/// Every rabbitmqctl call boots an Erlang VM: half a second alone, but when the whole suite
/// starts at once dozens boot together, and a full run measured 26 s a call on average for its
/// first two minutes, enough to push quick broker tests past their time limit. One `eval` does
/// every change the tests are waiting for at that moment (twenty vhosts in under a second).
actor VhostBatches {
    static let shared = VhostBatches()

    enum Change: Sendable {
        case add
        case delete
    }

    private struct Request: Sendable {
        let change: Change
        let name: String
        /// How a waiting caller hears of its turn; nil for the caller applying the batch.
        let turn: CheckedContinuation<Turn, Never>?
    }

    private enum Turn: Sendable {
        /// Someone else's batch applied this change.
        case done(Result<Void, any Error>)
        /// Apply this batch (the caller's own change first) and hand over to whoever waits next.
        case lead([Request])
    }

    private var waiting: [Request] = []
    private var applying = false

    /// Adds (with full permissions for the `recoup` user) or deletes the vhost `name`, together
    /// with whatever other changes are waiting. Each caller applies at most one batch, so a test
    /// never works for the others for long.
    func apply(_ change: Change, _ name: String) async throws {
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_") }) else {
            throw VhostNameRefused(name: name)
        }
        var batch: [Request]
        if applying {
            switch await withCheckedContinuation({ waiting.append(Request(change: change, name: name, turn: $0)) }) {
            case .done(let result): return try result.get()
            case .lead(let handedOver): batch = handedOver
            }
        } else {
            applying = true
            batch = [Request(change: change, name: name, turn: nil)]
        }
        var own: Result<Void, any Error> = .success(())
        for (request, result) in zip(batch, await Self.run(batch)) {
            if let turn = request.turn { turn.resume(returning: .done(result)) } else { own = result }
        }
        if waiting.isEmpty {
            applying = false
        } else {
            let next = waiting
            waiting = []
            let leader = next[0]
            leader.turn?.resume(returning: .lead([Request(change: leader.change, name: leader.name, turn: nil)] + next.dropFirst()))
        }
        try own.get()
    }

    /// One rabbitmqctl `eval` for the whole batch; it returns the names whose change failed.
    private static func run(_ batch: [Request]) async -> [Result<Void, any Error>] {
        let steps = batch.map { request in
            "{\(request.change == .add ? "Add" : "Delete"), <<\"\(request.name)\">>}"
        }.joined(separator: ", ")
        let script = """
            U = <<"recoup-tests">>, \
            Add = fun(N) -> ok = rabbit_vhost:add(N, U), \
                ok = rabbit_auth_backend_internal:set_permissions(<<"recoup">>, N, <<".*">>, <<".*">>, <<".*">>, U) end, \
            Delete = fun(N) -> ok = rabbit_vhost:delete(N, U) end, \
            [N || {F, N} <- [\(steps)], (catch F(N)) =/= ok].
            """
        do {
            let failed = try await TestEnvironment.rabbitmqctl(["eval", script])
            return batch.map { request in
                failed.contains("<<\"\(request.name)\">>")
                    ? .failure(VhostChangeFailed(change: request.change, name: request.name)) : .success(())
            }
        } catch {
            return batch.map { _ in .failure(error) }
        }
    }
}

struct VhostNameRefused: Error, CustomStringConvertible {
    let name: String
    var description: String { "vhost name \(name.debugDescription): only letters, digits and _ are used in tests" }
}

struct VhostChangeFailed: Error, CustomStringConvertible {
    let change: VhostBatches.Change
    let name: String
    var description: String { "the broker refused to \(change == .add ? "add" : "delete") vhost \(name)" }
}
