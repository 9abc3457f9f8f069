import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DOCKER_HEADER_FUNCS, GO_TYPE, parseDockerTemplate, Template, TemplateExecError, TemplateParseError } from './go-template.js';

function run(tmpl: string, data: unknown, missingKey?: 'default' | 'zero' | 'error'): string {
  return parseDockerTemplate(tmpl).execute(data, missingKey ? { missingKey } : {});
}

function execErr(tmpl: string, data: unknown, missingKey?: 'default' | 'zero' | 'error'): string {
  try {
    run(tmpl, data, missingKey);
  } catch (e) {
    assert.ok(e instanceof TemplateExecError, `expected TemplateExecError, got ${String(e)}`);
    return e.message;
  }
  assert.fail(`template ${tmpl} did not fail`);
}

function parseErr(tmpl: string): string {
  try {
    parseDockerTemplate(tmpl);
  } catch (e) {
    assert.ok(e instanceof TemplateParseError, `expected TemplateParseError, got ${String(e)}`);
    return e.message;
  }
  assert.fail(`template ${tmpl} parsed`);
}

class Ctr {
  readonly [GO_TYPE] = '*formatter.ContainerContext';
  constructor(private readonly labels: Record<string, string>) {}
  ID(): string {
    return 'abc123';
  }
  Names(): string {
    return 'web';
  }
  Label(name: string): string {
    return this.labels[name] ?? '';
  }
}

const inspect = {
  Id: 'deadbeef',
  Name: '/web',
  State: { Status: 'running', Running: true, Pid: 42, ExitCode: 0 },
  Config: { Cmd: ['sleep', '1000'], Labels: { 'com.example': 'x', b: 'y' }, Env: ['A=1', 'B=2'], Tty: false },
  NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2' }, alpha: { IPAddress: '10.0.0.2' } } },
};

test('fields, nested fields and text', () => {
  assert.equal(run('id={{.Id}} name={{.Name}}', inspect), 'id=deadbeef name=/web');
  assert.equal(run('{{.State.Status}} {{.State.Pid}} {{.State.Running}}', inspect), 'running 42 true');
  assert.equal(run('{{.Config.Cmd}}', inspect), '[sleep 1000]');
  assert.equal(run('{{.Config.Labels}}', inspect), 'map[b:y com.example:x]');
  assert.equal(run('{{.State}}', inspect), '{running true 42 0}');
  assert.equal(run('plain text', inspect), 'plain text');
  assert.equal(run('', inspect), '');
  assert.equal(run('{{.}}', 'hello'), 'hello');
});

test('methods, including methods with arguments', () => {
  const c = new Ctr({ 'com.x': 'yes' });
  assert.equal(run('{{.ID}}\t{{.Names}}', c), 'abc123\tweb');
  assert.equal(run('{{.Label "com.x"}}|{{.Label "nope"}}', c), 'yes|');
  assert.equal(run('{{"com.x" | .Label}}', c), 'yes');
});

test('missing map keys print <no value>; missing struct fields are errors', () => {
  assert.equal(run('{{.Config.Labels.zz}}', inspect), '<no value>');
  assert.equal(
    execErr('{{.Foo}}', new Ctr({})),
    'template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.ContainerContext',
  );
  assert.equal(execErr('{{.Config.Foo}}', inspect, 'error'), 'template: :1:9: executing "" at <.Config.Foo>: map has no entry for key "Foo"');
  assert.equal(execErr('{{.Config.Cmd.X}}', inspect, 'error'), 'template: :1:9: executing "" at <.Config.Cmd.X>: can\'t evaluate field X in type interface {}');
  assert.equal(execErr('{{.Name.Foo}}', inspect), 'template: :1:7: executing "" at <.Name.Foo>: can\'t evaluate field Foo in type string');
  assert.equal(run('{{.Missing}}', { a: 'x' }, 'zero'), '');
});

test('index, len, slice', () => {
  assert.equal(run('{{index .Config.Labels "com.example"}}', inspect), 'x');
  assert.equal(run('[{{index .Config.Labels "nope"}}]', inspect), '[]');
  assert.equal(run('{{index .Config.Cmd 1}}', inspect), '1000');
  assert.equal(run('{{len .Config.Cmd}} {{len .Config.Labels}} {{len "héllo"}}', inspect), '2 2 6');
  assert.equal(run('{{slice "abcdef" 1 3}} {{slice .Config.Cmd 1}}', inspect), 'bc [1000]');
  assert.equal(
    execErr('{{index .Config.Cmd "x"}}', inspect),
    'template: :1:2: executing "" at <index .Config.Cmd "x">: error calling index: cannot index slice/array with type string',
  );
  assert.match(execErr('{{index .Config.Cmd 5}}', inspect), /error calling index: index out of range: 5$/);
});

test('json function', () => {
  assert.equal(run('{{json .Config.Cmd}}', inspect), '["sleep","1000"]');
  assert.equal(run('{{json .State}}', inspect), '{"Status":"running","Running":true,"Pid":42,"ExitCode":0}');
  assert.equal(run('{{json .Config.Labels.zz}}', inspect), 'null');
  assert.equal(run('{{json .}}', { a: '<&>' }), '{"a":"<&>"}');
  const withToJSON = { toJSON: () => ({ ID: 'x' }) };
  assert.equal(run('{{json .}}', withToJSON), '{"ID":"x"}');
});

test('range over slices, maps, with variables, else, break and continue', () => {
  assert.equal(run('{{range .Config.Env}}[{{.}}]{{end}}', inspect), '[A=1][B=2]');
  assert.equal(run('{{range $i, $e := .Config.Env}}{{$i}}={{$e}};{{end}}', inspect), '0=A=1;1=B=2;');
  assert.equal(run('{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}},{{end}}', inspect), 'b:y,com.example:x,');
  assert.equal(run('{{range $n, $c := .NetworkSettings.Networks}}{{$n}}={{$c.IPAddress}} {{end}}', inspect), 'alpha=10.0.0.2 bridge=172.17.0.2 ');
  assert.equal(run('{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', inspect), '10.0.0.2 172.17.0.2 ');
  assert.equal(run('{{range .Nope}}x{{else}}empty{{end}}', { Nope: [] }), 'empty');
  assert.equal(run('{{range .}}{{if eq . 3}}{{break}}{{end}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}', [0, 1, 2, 3, 4]), '02');
  assert.equal(run('{{range 3}}{{.}}{{end}}', null), '012');
  assert.equal(run('{{range $x := .}}{{$x}}{{end}}', ['a', 'b']), 'ab');
  assert.equal(run('{{range .}}{{$}}{{end}}', [1]), '[1]');
  assert.equal(execErr('{{range .Name}}{{end}}', inspect), 'template: :1:8: executing "" at <.Name>: range can\'t iterate over /web');
});

test('if / else if / else, with / else, and truthiness', () => {
  assert.equal(run('{{if .State.Running}}up{{else}}down{{end}}', inspect), 'up');
  assert.equal(run('{{if .Config.Tty}}tty{{else if .State.Running}}run{{else}}x{{end}}', inspect), 'run');
  assert.equal(run('{{if .Config.Tty}}a{{else if eq .Name "x"}}b{{else}}c{{end}}', inspect), 'c');
  assert.equal(run('{{with .State}}{{.Status}}{{end}}', inspect), 'running');
  assert.equal(run('{{with .Config.Labels.zz}}x{{else}}none{{end}}', inspect), 'none');
  assert.equal(run('{{with $x := .State.Pid}}{{$x}}{{end}}', inspect), '42');
  for (const [v, want] of [
    [0, 'F'],
    [1, 'T'],
    ['', 'F'],
    ['a', 'T'],
    [[], 'F'],
    [[0], 'T'],
    [{}, 'F'],
    [null, 'F'],
    [false, 'F'],
  ] as const) {
    assert.equal(run('{{if .}}T{{else}}F{{end}}', v), want, `truth of ${JSON.stringify(v)}`);
  }
});

test('comparison and logic functions', () => {
  assert.equal(run('{{eq .State.Status "running"}} {{ne .State.Pid 42}} {{eq .State.Pid 1 2 42}}', inspect), 'true false true');
  assert.equal(run('{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', null), 'true true true false');
  assert.equal(run('{{and 1 0 2}} {{and 1 2}} {{or 0 "" "x"}} {{or 0 ""}} {{not 0}}', null), '0 2 x  true');
  assert.equal(run('{{if and .State.Running (eq .State.Pid 42)}}ok{{end}}', inspect), 'ok');
  assert.match(execErr('{{eq .State.Pid "42"}}', inspect), /error calling eq: incompatible types for comparison$/);
  // and/or short-circuit: the failing call is never evaluated.
  assert.equal(run('{{or 1 (index .Config.Cmd 9)}}', inspect), '1');
});

test('printf, print, println', () => {
  assert.equal(run('{{printf "%s-%d" .Name .State.Pid}}', inspect), '/web-42');
  assert.equal(run('{{printf "%-8s|%5.2f|%q" "ab" 3.14159 "x"}}', null), 'ab      | 3.14|"x"');
  assert.equal(run('{{printf "%v" .Config.Cmd}}', inspect), '[sleep 1000]');
  assert.equal(run('{{.Name | printf "%s!"}}', inspect), '/web!');
  assert.equal(run('{{print "a" 1 2 "b"}}', null), 'a1 2b');
  assert.equal(run('{{println "a" 1}}', null), 'a 1\n');
  assert.equal(run('{{printf "%d"}}', null), '%!d(MISSING)');
});

test('docker string functions', () => {
  assert.equal(run('{{join .Config.Cmd " "}}', inspect), 'sleep 1000');
  assert.equal(run('{{split "a,b,c" ","}}', null), '[a b c]');
  assert.equal(run('{{index (split "a:b" ":") 1}}', null), 'b');
  assert.equal(run('{{lower "ABC"}} {{upper "abc"}} {{title "hello world-foo bar_baz"}}', null), 'abc ABC Hello World-Foo Bar_baz');
  assert.equal(run('{{.Name | upper}}', inspect), '/WEB');
  assert.equal(run('[{{pad "x" 2 1}}][{{pad "" 2 1}}]', null), '[  x ][]');
  assert.equal(run('{{truncate "abcdef" 3}} {{truncate "ab" 3}}', null), 'abc ab');
  assert.equal(run('{{len (split "a b" " ")}}', null), '2');
});

test('whitespace trim markers and comments', () => {
  assert.equal(run('a  {{- .Name -}}  b', inspect), 'a/webb');
  assert.equal(run('a \n\t{{- .Name}} b', inspect), 'a/web b');
  assert.equal(run('{{.Name -}}\n\n  x', inspect), '/webx');
  assert.equal(run('x{{/* a comment */}}y', null), 'xy');
  assert.equal(run('x {{- /* c */ -}} y', null), 'xy');
  assert.equal(run('{{-3}}', null), '-3');
  assert.equal(run('{{range .}}\n  {{- .}}\n{{- end}}', [1, 2]), '12');
});

test('literals and variables', () => {
  assert.equal(run('{{"a\\tb"}}|{{`raw\\t`}}|{{1.5}}|{{0x10}}|{{true}}|{{\'a\'}}', null), 'a\tb|raw\\t|1.5|16|true|97');
  assert.equal(run('{{$x := .Name}}{{$x}}{{$x = "y"}}{{$x}}', inspect), '/weby');
  assert.equal(run('{{$.Name}}{{with .State}}{{$.Id}}{{end}}', inspect), '/webdeadbeef');
  assert.equal(run('{{(index .Config.Cmd 0)}}', inspect), 'sleep');
  assert.equal(run('{{(.State).Status}}', inspect), 'running');
  assert.equal(execErr('{{nil | printf "%v"}}', null), 'template: :1:2: executing "" at <nil>: nil is not a command');
  assert.equal(run('{{printf "%v" nil}}', null), '<nil>');
});

test('parse errors carry Go messages', () => {
  assert.equal(parseErr('{{foo}}'), 'template: :1: function "foo" not defined');
  assert.equal(parseErr('{{if}}'), 'template: :1: missing value for if');
  assert.equal(parseErr('{{.A'), 'template: :1: unclosed action');
  assert.equal(parseErr('{{if .A}}x'), 'template: :1: unexpected EOF');
  assert.equal(parseErr('{{end}}'), 'template: :1: unexpected {{end}}');
  assert.equal(parseErr('{{else}}'), 'template: :1: unexpected {{else}}');
  assert.equal(parseErr('{{$x}}'), 'template: :1: undefined variable "$x"');
  assert.equal(parseErr('{{}}'), 'template: :1: missing value for command');
  assert.equal(parseErr('{{"abc}}'), 'template: :1: unterminated quoted string');
  assert.equal(parseErr('{{.A | "x"}}'), 'template: :1: non executable command in pipeline stage 2');
  assert.equal(parseErr('a\n{{bar}}'), 'template: :2: function "bar" not defined');
  assert.equal(parseErr('{{break}}'), 'template: :1: {{break}} outside {{range}}');
  assert.equal(parseErr('{{(.A}}'), 'template: :1: unclosed left paren');
});

test('execution errors carry Go messages and positions', () => {
  const c = new Ctr({});
  assert.equal(execErr('{{.Label}}', c), 'template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 0');
  assert.equal(execErr('{{.ID}}{{truncate .Names "x"}}', c), 'template: :1:25: executing "" at <"x">: expected integer; found "x"');
  assert.equal(execErr('{{upper 3}}', c), 'template: :1:8: executing "" at <3>: expected string; found 3');
  assert.equal(execErr('{{join .Config.Cmd}}', inspect), 'template: :1:2: executing "" at <join>: wrong number of args for join: want 2 got 1');
  assert.equal(execErr('{{.Name 1}}', inspect), 'template: :1:2: executing "" at <.Name>: Name has arguments but cannot be invoked as function');
  assert.equal(execErr('x\n  {{.State.Health.Status}}', { State: { Health: null } }), 'template: :2:10: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status');
  assert.equal(execErr('{{.Config.Labels.zz | upper}}', inspect), 'template: :1:22: executing "" at <upper>: invalid value; expected string');
});

test('execution errors keep the partial output', () => {
  try {
    run('ab{{.Name}}{{.Nope.X}}', { Name: 'n', Nope: null });
    assert.fail('no error');
  } catch (e) {
    assert.ok(e instanceof TemplateExecError);
    assert.equal(e.partial, 'abn');
  }
});

test('header functions render table headers from the header map', () => {
  const t = parseDockerTemplate('{{.ID}}\t{{upper .Names}}\t{{json .Status}}\t{{truncate .Image 3}}');
  const header = { ID: 'CONTAINER ID', Names: 'NAMES', Status: 'STATUS', Image: 'IMAGE' };
  assert.equal(t.withFuncs(DOCKER_HEADER_FUNCS).execute(header), 'CONTAINER ID\tNAMES\tSTATUS\tIMAGE');
});

test('fieldAlias resolves Go field names whose JSON names differ', () => {
  const alias = (n: string): string | undefined => ({ ID: 'Id' })[n];
  assert.equal(parseDockerTemplate('{{.ID}} {{.Id}}').execute({ Id: 'x', Name: 'n' }, { fieldAlias: alias }), 'x x');
  assert.throws(() => parseDockerTemplate('{{.ID}}').execute({ Id: 'x', Name: 'n' }), /can't evaluate field ID/);
});

test('Template.parse without docker functions knows only the builtins', () => {
  assert.throws(() => Template.parse('{{json .}}'), /function "json" not defined/);
  assert.equal(Template.parse('{{len .}}').execute([1, 2]), '2');
});
