import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { payrollMailBouncesProperties } from './PayrollMailBounces.description';
import { runPayrollMailBounces } from './runPayrollMailBounces';

export class PayrollMailBounces implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Payroll Mail Bounces',
		name: 'payrollMailBounces',
		icon: { light: 'file:payrollMailBounces.svg', dark: 'file:payrollMailBounces.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["useJournal"] ? "matched in " + $parameter["journalTable"] : "bounces and other mails" }}',
		description: 'Find the payslips that never arrived: reads bounces and names the employee address, status and server reply',
		defaults: { name: 'Payroll Mail Bounces' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Bounced', 'Other'],
		usableAsTool: true,
		credentials: [
			{
				// n8n's own Postgres credential, the one the Payroll Mail node's send journal is read with.
				// eslint-disable-next-line @n8n/community-nodes/no-credential-reuse, @n8n/community-nodes/valid-credential-references, n8n-nodes-base/node-class-description-credentials-name-unsuffixed
				name: 'postgres',
				required: true,
				displayOptions: { show: { useJournal: [true] } },
			},
		],
		properties: payrollMailBouncesProperties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return runPayrollMailBounces(this);
	}
}
