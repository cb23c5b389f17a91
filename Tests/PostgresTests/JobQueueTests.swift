import Testing
@testable import Postgres

@Suite("Pool job queue")
struct JobQueueTests {
    private func job(_ ticket: JobTicket = JobTicket()) -> PoolJob {
        PoolJob(ticket: ticket, run: { _ in }, fail: { _ in })
    }

    @Test("jobs come out in order; a withdrawn job never does")
    func fifoAndCancel() {
        let queue = JobQueue()
        let tickets = (0..<3).map { _ in JobTicket() }
        for ticket in tickets { #expect(queue.submit(job(ticket)) == .queued) }
        #expect(queue.cancel(tickets[1]) != nil)
        #expect(queue.cancel(tickets[1]) == nil, "a job is withdrawn once")
        #expect(queue.next()?.ticket === tickets[0])
        #expect(queue.cancel(tickets[0]) == nil, "a running job cannot be withdrawn")
        #expect(queue.next()?.ticket === tickets[2])
    }

    @Test("pendingCount counts queued jobs, not taken or withdrawn ones")
    func pendingCount() {
        let queue = JobQueue()
        let tickets = (0..<3).map { _ in JobTicket() }
        for ticket in tickets { _ = queue.submit(job(ticket)) }
        #expect(queue.pendingCount == 3)
        _ = queue.next()
        #expect(queue.pendingCount == 2)
        _ = queue.cancel(tickets[2])
        #expect(queue.pendingCount == 1)
        _ = queue.next()
        #expect(queue.pendingCount == 0)
    }

    @Test("a job cancelled before submission is refused")
    func cancelBeforeSubmit() {
        let queue = JobQueue()
        let ticket = JobTicket()
        #expect(queue.cancel(ticket) == nil)
        #expect(queue.submit(job(ticket)) == .cancelled)
    }

    @Test("close() lets queued jobs drain, then refuses new ones and ends the threads' loop")
    func closeDrains() {
        let queue = JobQueue()
        let ticket = JobTicket()
        #expect(queue.submit(job(ticket)) == .queued)
        queue.close()
        #expect(queue.isClosed)
        #expect(queue.submit(job()) == .closed)
        #expect(queue.next()?.ticket === ticket)
        #expect(queue.next() == nil)
    }

    @Test("many jobs pass through without growing the backlog")
    func manyJobs() {
        let queue = JobQueue()
        for round in 0..<5 {
            for _ in 0..<100 { _ = queue.submit(job()) }
            var taken = 0
            while taken < 100, queue.next() != nil { taken += 1 }
            #expect(taken == 100, "round \(round)")
        }
    }
}
