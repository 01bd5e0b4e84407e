/* eslint-disable no-console -- it stands in for the console, to record what would be printed */
/**
 * Runs `work` while recording everything written to stdout and stderr, console included,
 * so a test can prove that no secret was printed.
 */
export async function captureOutput<T>(work: () => Promise<T>): Promise<{ result: T; output: string }> {
	const chunks: string[] = [];
	const streams = [process.stdout, process.stderr];
	const originals = streams.map((stream) => stream.write);
	const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const;
	const consoleOriginals = consoleMethods.map((method) => console[method]);
	streams.forEach((stream) => {
		stream.write = ((chunk: string | Uint8Array) => {
			chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
			return true;
		}) as typeof stream.write;
	});
	consoleMethods.forEach((method) => {
		console[method] = (...args: unknown[]) => chunks.push(args.map(String).join(' '));
	});
	try {
		const result = await work();
		return { result, output: chunks.join('') };
	} finally {
		streams.forEach((stream, index) => (stream.write = originals[index]));
		consoleMethods.forEach((method, index) => (console[method] = consoleOriginals[index]));
	}
}
