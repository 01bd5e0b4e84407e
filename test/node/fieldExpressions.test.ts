import { Expression } from 'n8n-workflow';

import { TestSmtpServer } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, parseMessages, runPayrollMail, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

let server: TestSmtpServer;
beforeAll(async () => {
	server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
});
afterAll(async () => server.close());
beforeEach(() => server.messages.splice(0));
afterEach(() => jest.restoreAllMocks());

/** Every expression n8n's engine evaluates from now on, as saved. */
function n8nEvaluations(): () => string[] {
	const expression = Expression.prototype as unknown as { resolveSimpleParameterValue(value: unknown, ...rest: unknown[]): unknown };
	const spy = jest.spyOn(expression, 'resolveSimpleParameterValue');
	return () => spy.mock.calls.map(([value]) => value).filter((value): value is string => typeof value === 'string' && value.startsWith('='));
}

describe("expressions that only put the employee's fields into text", () => {
	it("are read from each item without n8n's expression engine, and each mail carries its own employee's fields", async () => {
		const evaluated = n8nEvaluations();
		const list = employees(12).map((employee, index) => ({ ...employee, period: `2026-${String(index + 1).padStart(2, '0')}` }));
		const { outputs } = await runPayrollMail({ server, items: employeeItems(list), parameters: clerkParameters() });

		expect(outputs[0]).toHaveLength(12);
		const mails = await parseMessages(server);
		const seen = mails.map((mail) => [mail.to && 'value' in mail.to ? mail.to.value[0].address : '', mail.subject, mail.text?.trim()]);
		expect(seen.sort()).toEqual(list.map((employee) => [employee.email, `Your payslip for ${employee.period}`, `Dear ${employee.name}, your payslip is attached.`]).sort());
		expect(evaluated()).toEqual([]);
	});

	it('any other expression is evaluated by n8n, for each employee', async () => {
		const evaluated = n8nEvaluations();
		const list = employees(5).map((employee) => ({ ...employee, email: ` ${employee.email.toUpperCase()} ` }));
		await runPayrollMail({ server, items: employeeItems(list), parameters: clerkParameters({ toEmail: '={{ $json.email.trim().toLowerCase() }}' }) });

		const addresses = (await parseMessages(server)).map((mail) => (mail.to && 'value' in mail.to ? mail.to.value[0].address : ''));
		expect(addresses.sort()).toEqual(employees(5).map((employee) => employee.email).sort());
		expect(evaluated().filter((saved) => saved.includes('toLowerCase'))).toHaveLength(5);
		expect(evaluated().filter((saved) => !saved.includes('toLowerCase'))).toEqual([]);
	});
});
