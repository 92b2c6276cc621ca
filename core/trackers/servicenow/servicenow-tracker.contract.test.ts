// The ServiceNow tracker against the fake instance: the conformance suite every tracker passes.

import { startFakeServiceNow } from '../../../tests/support/fake-servicenow.ts';
import { FAKE_T0 } from '../../../tests/support/fake-servicenow-client.ts';
import { tempDir } from '../../../tests/support/host-process.ts';
import { testDatabase } from '../../../tests/support/test-database.ts';
import { createLogger } from '../../log.ts';
import { describeTrackerContract } from '../tracker.contract.ts';
import { createTracker } from './index.ts';

describeTrackerContract(
  'servicenow (the fake instance)',
  async () => {
    // A fast clock (a real millisecond is a ServiceNow second): ServiceNow stamps to the second, and two
    // comments of one second have no order to read them back in.
    const start = Date.now();
    const sn = await startFakeServiceNow({ now: () => FAKE_T0 + (Date.now() - start) * 1000 });
    sn.addUser({ userName: 'tandem', password: 'pw', roles: ['itil'] });
    const env = {
      TANDEM_SERVICENOW_URL: sn.url,
      TANDEM_SERVICENOW_USER: 'tandem',
      TANDEM_SERVICENOW_PASSWORD: 'pw',
      TANDEM_SERVICENOW_PUSH_SECRET: 'contract-push-secret',
    };
    const dataDir = tempDir();
    const database = await testDatabase();
    const context = { db: database.db, log: createLogger('test', 'silent'), dataDir, env };
    const tracker = await createTracker({ entityTypes: ['incident', 'change'] }, context);
    return {
      tracker,
      close: async () => {
        await tracker.close?.();
        await sn.close();
        await database.close();
      },
    };
  },
  {
    cannot: {
      'offers its entity types and creates, reads and reads in batches':
        'a ServiceNow table has a fixed schema: only mapped fields and u_* columns (customFields) are stored, not any custom field',
      'gives changes in write order, resumes from a cursor and loses none across limit boundaries':
        'polling the Table API sees each record as it is now (one change per record, not each write), no deletes, and no comment apart from an update',
    },
  },
);
