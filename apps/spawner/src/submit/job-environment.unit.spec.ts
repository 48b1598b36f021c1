import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@condorhub/config';
import { spawnerSettings } from '../spawner.settings';
import { jobEnvironment } from './job-environment';

const base = { user: 'alice', serverName: '', bootstrap: 'b' };

describe('job environment: where the job reaches the hub', () => {
  it('uses the public URL for the API when no job hub URL is set', () => {
    const env = jobEnvironment({ ...base, publicUrl: 'https://hub.example.org' });
    assert.equal(env.JUPYTERHUB_API_URL, 'https://hub.example.org/hub/api');
    assert.equal(env.JUPYTERHUB_ACTIVITY_URL, 'https://hub.example.org/hub/api/users/alice/activity');
    assert.equal(env.JUPYTERHUB_PUBLIC_HUB_URL, 'https://hub.example.org/hub/');
  });

  it('sends the API and activity to the job hub URL, browsers still to the public URL', () => {
    const env = jobEnvironment({ ...base, publicUrl: 'http://localhost:8000', hubUrl: 'http://proxy:8000' });
    assert.equal(env.JUPYTERHUB_API_URL, 'http://proxy:8000/hub/api');
    assert.equal(env.JUPYTERHUB_ACTIVITY_URL, 'http://proxy:8000/hub/api/users/alice/activity');
    assert.equal(env.JUPYTERHUB_PUBLIC_URL, 'http://localhost:8000');
    assert.equal(env.JUPYTERHUB_PUBLIC_HUB_URL, 'http://localhost:8000/hub/');
  });

  it('CONDORHUB_JOB_HUB_URL reaches the settings (trailing slash dropped); a bad URL is refused by name', () => {
    const settings = spawnerSettings(
      loadConfig({ CONDORHUB_PUBLIC_URL: 'http://localhost:8000', CONDORHUB_JOB_HUB_URL: 'http://proxy:8000/' }),
    );
    assert.equal(settings.jobHubUrl, 'http://proxy:8000');
    assert.equal(spawnerSettings(loadConfig({ CONDORHUB_PUBLIC_URL: 'http://h:1/' })).jobHubUrl, 'http://h:1');
    for (const bad of ['proxy:8000', 'not a url', 'ftp://proxy'])
      assert.throws(() => loadConfig({ CONDORHUB_JOB_HUB_URL: bad }), /CONDORHUB_JOB_HUB_URL/, bad);
  });
});
