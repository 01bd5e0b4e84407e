/**
 * A round trip's worth of distance where the kernel has no netem: a TCP relay in front of the sink
 * that hands every chunk on `delayMs` after it came, each way, in order. It delays; it does not
 * limit the bandwidth.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

function relay(from: Socket, to: Socket, delayMs: number): void {
	// Timers of equal length fire in the order they were set: the bytes keep their order.
	from.on('data', (chunk) => setTimeout(() => to.write(chunk), delayMs));
	from.on('end', () => setTimeout(() => to.end(), delayMs));
	from.on('error', () => to.destroy());
	from.on('close', () => setTimeout(() => to.destroy(), delayMs + 1));
}

export function delayProxy(target: number, delayMs: number): Server {
	return createServer((client) => {
		const server = connect(target, '127.0.0.1');
		relay(client, server, delayMs);
		relay(server, client, delayMs);
	});
}
