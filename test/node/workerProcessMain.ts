/**
 * The other end of workerProcess.ts: a process of its own that runs Payroll Mail through n8n's
 * engine when told to, as a second n8n worker would. It shares nothing with the test's process
 * but the SMTP server and the PostgreSQL database it is pointed at.
 */
import type { WorkerJob, WorkerMessage } from './workerProcess';

// Its own n8n user folder (N8N_USER_FOLDER, made and removed by workerProcess.ts), read by
// n8n-core once, when it is first loaded: below, after these.
process.env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS = 'false';
process.env.N8N_LOG_LEVEL ??= 'silent';

const send = (message: WorkerMessage) => process.send?.(message);

async function main(): Promise<void> {
	const { captureLogs } = await import('../harness/logCapture');
	const { employeeItems, employees, runPayrollMail } = await import('./payrollRun');
	process.on('message', (job: WorkerJob) => {
		const staff = employees(job.employees.to).slice(job.employees.from - 1);
		captureLogs(async () =>
			runPayrollMail({
				server: { port: 0 } as never,
				items: employeeItems(staff),
				parameters: job.parameters,
				credential: job.credentials.payrollSmtpApi,
				moreCredentials: { postgres: job.credentials.postgres },
				executionId: job.executionId,
			}),
		).then(
			({ result, logs }) => send({ kind: 'done', items: result.outputs.map((output) => output.map((item) => item.json)), status: result.status, logs }),
			(error: Error) => send({ kind: 'failed', error: error.stack ?? error.message }),
		);
	});
	send({ kind: 'ready' });
}

main().catch((error: Error) => {
	send({ kind: 'failed', error: error.stack ?? error.message });
	process.exit(1);
});
