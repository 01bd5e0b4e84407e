/** What one target's run found: named checks, timings, and how to print them. */

/** A line to stdout (the summary is the script's output, not a log). */
export function say(text: string): void {
	process.stdout.write(`${text}\n`);
}

export interface Check {
	name: string;
	ok: boolean;
	detail?: string;
}

/** Thrown to end a target's run early: what follows depends on the step that failed. */
export class StopTarget extends Error {}

export class TargetReport {
	readonly checks: Check[] = [];
	readonly timings: Array<[string, number]> = [];
	readonly notes: string[] = [];
	nodeVersion = '?';
	install = '';

	constructor(readonly title: string) {}

	pass(name: string, detail?: string): void {
		this.checks.push({ name, ok: true, detail });
	}

	fail(name: string, detail: string): void {
		this.checks.push({ name, ok: false, detail });
	}

	/** Records a pass or a failure; returns whether it passed. */
	expect(name: string, ok: boolean, detail: string): boolean {
		if (ok) this.pass(name);
		else this.fail(name, detail);
		return ok;
	}

	/** Runs a step; a thrown error is a failed check and ends the target. */
	async step<T>(name: string, action: () => Promise<T>, describe?: (result: T) => string): Promise<T> {
		try {
			const result = await action();
			this.pass(name, describe?.(result));
			return result;
		} catch (error) {
			this.fail(name, error instanceof Error ? error.message : String(error));
			throw new StopTarget(name);
		}
	}

	/** Runs `action` and adds how long it took to the timings, failed or not. */
	async timed<T>(label: string, action: () => Promise<T>): Promise<T> {
		const started = Date.now();
		try {
			return await action();
		} finally {
			this.timings.push([label, (Date.now() - started) / 1000]);
		}
	}

	get passed(): boolean {
		return this.checks.length > 0 && this.checks.every((check) => check.ok);
	}

	print(): void {
		const failed = this.checks.filter((check) => !check.ok).length;
		const line = '='.repeat(78);
		say(`\n${line}\n${this.title} on Node ${this.nodeVersion}: ${this.passed ? 'PASSED' : 'FAILED'}`);
		say(`  install: ${this.install}`);
		for (const note of this.notes) say(`  note: ${note}`);
		for (const check of this.checks) {
			say(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}${check.detail && check.ok ? ` (${check.detail})` : ''}`);
			if (!check.ok && check.detail) say(indent(check.detail, '         '));
		}
		const times = this.timings.map(([name, seconds]) => `${name} ${seconds.toFixed(1)} s`).join(', ');
		say(`  times: ${times}`);
		say(`  ${this.checks.length - failed} of ${this.checks.length} checks passed`);
	}
}

function indent(text: string, prefix: string): string {
	return text
		.split('\n')
		.map((line) => prefix + line)
		.join('\n');
}
