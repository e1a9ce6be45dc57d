//! The peers' encodings decide complete records as `policy eval` does (issue 6: "the peers'
//! encodings decide the sample files exactly as `policy eval` does"): the city's sample file and
//! 300 generated rows, of which the complete ones. Not timed.

use policy_peers::workload::{Rizhao, Workload};
use policy_peers::{generator, repository, Outcome, PeerInputs, RegoInterpreter, RegoVirtualMachine, Zen};

/// Every engine's outcome for every complete record of `csv`, against the policy's.
fn assert_peers_agree(csv: &[u8], at_least: usize) {
    let as_of = policy_peers::workload::as_of();
    let rizhao = Rizhao::load(&repository().join("policies/rizhao-2022.policy"), as_of);
    let all = Workload::read(&rizhao, csv, usize::MAX);
    let complete = all.only(|index| all.complete[index]);
    assert!(complete.policy_records.len() >= at_least, "only {} complete records", complete.policy_records.len());
    let inputs = PeerInputs::build(&rizhao, &complete.policy_records);
    let mut interpreter = RegoInterpreter::new(as_of);
    let mut machine = RegoVirtualMachine::new(as_of);
    let mut zen = Zen::new(as_of);
    for (index, values) in complete.policy_records.iter().enumerate() {
        let expected = Outcome::of_policy(&rizhao, &policy::eval::decide(&rizhao.program, values).expect("decided"));
        let input = &inputs.json[index];
        let interpreted = RegoInterpreter::outcome(&interpreter.evaluate(&inputs.rego[index]));
        assert_eq!(interpreted, expected, "regorus on {input}");
        let compiled = RegoInterpreter::outcome(&machine.evaluate(&inputs.rego[index]));
        assert_eq!(compiled, expected, "regorus's RVM on {input}");
        assert_eq!(Zen::outcome(&zen.evaluate(&inputs.zen[index])), expected, "zen on {input}");
    }
}

#[test]
fn the_peers_decide_the_city_sample_as_policy_eval() {
    let csv = std::fs::read(repository().join("examples/rizhao/enterprises.csv")).unwrap();
    assert_peers_agree(&csv, 20);
}

#[test]
fn the_peers_decide_generated_rows_as_policy_eval() {
    let mut csv = Vec::new();
    generator::write_enterprises(300, 7, true, &mut csv).unwrap();
    assert_peers_agree(&csv, 200);
}
