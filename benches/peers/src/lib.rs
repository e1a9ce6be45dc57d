//! The Rizhao enterprise rules in two peer engines, regorus (Rego, `rizhao.rego`) and
//! zen-expression (the expression language of zen-engine, `rizhao.zen`), and what it takes to
//! compare them with `policy eval`: the records as JSON input, each engine's run, and every
//! engine's outcome in one comparable form.
//!
//! The encodings decide complete records only (no blank cell, none of the optional columns), as
//! issue 6 allows: three-valued logic and the supports without a rate are what the policy
//! language adds. Shared by the benchmark and the agreement test of this crate.

#[path = "../../rizhao/generator.rs"]
#[allow(dead_code)] // the benchmark and the tests use different parts
pub mod generator;
#[path = "../../rizhao/handwritten.rs"]
#[allow(dead_code)] // the benchmark decides; it does not read files or write lines
pub mod handwritten;
#[path = "../../rizhao/workload.rs"]
pub mod workload;

use policy::data::ColumnKind;
use policy::value::Value;
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use workload::Rizhao;

/// The main crate's root, where the policy and the sample files are.
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One record's outcome in a form every engine's output converts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// "yes", "no" or "unknown".
    pub cultivation_pool: String,
    /// The awards paid, in order, amounts in 元.
    pub awards: Vec<(String, Decimal)>,
    pub benefits: Vec<String>,
    pub total: Decimal,
}

impl Outcome {
    /// From `{"cultivation_pool", "awards", "benefits", "total"}` as the peers give it (a bool,
    /// numbers) or from a line of `policy eval` (with `decisions`, words, decimal strings).
    pub fn from_json(json: &Json) -> Outcome {
        let decision = json.get("decisions").and_then(|decisions| decisions.get("cultivation_pool"));
        let cultivation_pool = match decision.or_else(|| json.get("cultivation_pool")) {
            Some(Json::Bool(true)) => "yes".to_string(),
            Some(Json::Bool(false)) => "no".to_string(),
            Some(Json::String(word)) => word.clone(),
            other => panic!("no cultivation_pool in {other:?}"),
        };
        let amount = |value: &Json| -> Decimal {
            let text = match value {
                Json::String(text) => text.clone(),
                other => other.to_string(),
            };
            Decimal::from_str(&text).unwrap_or_else(|_| panic!("an amount, not {text}")).normalize()
        };
        let awards = json["awards"]
            .as_array()
            .expect("awards")
            .iter()
            .map(|award| (award["award"].as_str().expect("an award name").to_string(), amount(&award["amount"])))
            .collect();
        let benefits = json["benefits"]
            .as_array()
            .expect("benefits")
            .iter()
            .map(|benefit| benefit.as_str().expect("a benefit name").to_string())
            .collect();
        Outcome { cultivation_pool, awards, benefits, total: amount(&json["total"]) }
    }

    /// `policy::eval::decide`'s outcome, through the JSON line `policy eval` writes.
    pub fn of_policy(rizhao: &Rizhao, outcome: &policy::eval::Outcome) -> Outcome {
        let line = policy::output::decision_line(&rizhao.model, &rizhao.program, None, outcome);
        Outcome::from_json(&serde_json::from_str(&line).expect("policy eval writes JSON"))
    }
}

/// A complete record as the peers' input: the policy's field names, dates as `YYYY-MM-DD`,
/// money in 元, enums as labels, lists as arrays; blank (optional) fields left out.
pub fn input_json(rizhao: &Rizhao, values: &[Value]) -> Json {
    let entity = &rizhao.model.entities[rizhao.program.entity];
    let mut object = Map::new();
    for ((field, column), value) in entity.fields.iter().zip(&rizhao.program.layout.columns).zip(values) {
        if let Some(json) = value_json(&column.kind, value) {
            object.insert(field.name.clone(), json);
        }
    }
    Json::Object(object)
}

fn value_json(kind: &ColumnKind, value: &Value) -> Option<Json> {
    Some(match (kind, value) {
        (_, Value::Unknown | Value::Between(_)) => return None,
        (_, Value::Bool(flag)) => Json::Bool(*flag),
        (_, Value::Number(number)) => {
            Json::Number(serde_json::Number::from_str(&number.normalize().to_string()).expect("a JSON number"))
        }
        (_, Value::Date(date)) => Json::String(date.format("%Y-%m-%d").to_string()),
        (_, Value::Text(text)) => Json::String(text.to_string()),
        (ColumnKind::Enum { labels }, Value::Enum(index)) => Json::String(labels[*index as usize].clone()),
        (ColumnKind::List(item_kind), Value::List(items)) => {
            Json::Array(items.iter().filter_map(|item| value_json(item_kind, item)).collect())
        }
        (kind, value) => panic!("no JSON form for {value:?} read as {kind:?}"),
    })
}

/// The Rego encoding in regorus's interpreter, the way its documentation evaluates a rule.
pub struct RegoInterpreter {
    engine: regorus::Engine,
}

/// The rule every Rego evaluation asks for.
const REGO_RESULT: &str = "data.rizhao.result";

fn rego_engine(as_of: chrono::NaiveDate) -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    let path = repository().join("benches/peers/rizhao.rego");
    engine.add_policy_from_file(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let settings = serde_json::json!({"settings": {"as_of": as_of.format("%Y-%m-%d").to_string()}});
    engine.add_data(regorus::Value::from_json_str(&settings.to_string()).expect("settings")).expect("settings");
    engine
}

impl RegoInterpreter {
    pub fn new(as_of: chrono::NaiveDate) -> RegoInterpreter {
        RegoInterpreter { engine: rego_engine(as_of) }
    }

    pub fn input(json: &Json) -> regorus::Value {
        regorus::Value::from_json_str(&json.to_string()).expect("a regorus value")
    }

    pub fn evaluate(&mut self, input: &regorus::Value) -> regorus::Value {
        self.engine.set_input(input.clone());
        self.engine.eval_rule(REGO_RESULT.to_string()).expect("the Rego encoding evaluates")
    }

    pub fn outcome(result: &regorus::Value) -> Outcome {
        Outcome::from_json(&serde_json::from_str(&result.to_json_str().expect("JSON")).expect("JSON"))
    }
}

/// The same encoding compiled for regorus's register-based virtual machine (RVM).
pub struct RegoVirtualMachine {
    machine: regorus::rvm::RegoVM,
}

impl RegoVirtualMachine {
    pub fn new(as_of: chrono::NaiveDate) -> RegoVirtualMachine {
        let mut engine = rego_engine(as_of);
        let compiled = engine.compile_with_entrypoint(&REGO_RESULT.into()).expect("the Rego encoding compiles");
        let program = regorus::languages::rego::compiler::Compiler::compile_from_policy(&compiled, &[REGO_RESULT])
            .expect("the Rego encoding compiles for the RVM");
        let mut machine = regorus::rvm::RegoVM::new();
        machine.load_program(program);
        machine.set_data(engine.get_data()).expect("settings");
        RegoVirtualMachine { machine }
    }

    pub fn evaluate(&mut self, input: &regorus::Value) -> regorus::Value {
        self.machine.set_input(input.clone());
        self.machine.execute().expect("the Rego encoding runs on the RVM")
    }
}

/// The zen encoding, compiled once and run on one reused virtual machine.
pub struct Zen {
    expression: zen_expression::Expression<zen_expression::expression::Standard>,
    machine: zen_expression::vm::VM,
}

impl Zen {
    pub fn new(as_of: chrono::NaiveDate) -> Zen {
        let path = repository().join("benches/peers/rizhao.zen");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let source: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace("{{as_of}}", &as_of.format("%Y-%m-%d").to_string());
        let expression = zen_expression::compile_expression(&source).expect("the zen encoding compiles");
        Zen { expression, machine: zen_expression::vm::VM::new() }
    }

    pub fn input(json: &Json) -> zen_expression::Variable {
        zen_expression::Variable::from(json.clone())
    }

    pub fn evaluate(&mut self, input: &zen_expression::Variable) -> zen_expression::Variable {
        self.expression.evaluate_with(input.clone(), &mut self.machine).expect("the zen encoding evaluates")
    }

    pub fn outcome(result: &zen_expression::Variable) -> Outcome {
        Outcome::from_json(&Json::from(result.clone()))
    }
}

/// The peers' inputs of the complete records of a workload, built before any clock starts.
pub struct PeerInputs {
    pub json: Vec<Json>,
    pub rego: Vec<regorus::Value>,
    pub zen: Vec<zen_expression::Variable>,
}

impl PeerInputs {
    pub fn build(rizhao: &Rizhao, records: &[Vec<Value>]) -> PeerInputs {
        let json: Vec<Json> = records.iter().map(|values| input_json(rizhao, values)).collect();
        let rego = json.iter().map(RegoInterpreter::input).collect();
        let zen = json.iter().map(Zen::input).collect();
        PeerInputs { json, rego, zen }
    }
}
